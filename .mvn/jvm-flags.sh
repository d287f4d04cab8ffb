# The JVM flags ./mixtape, bench/run and testdata/make start Java with: sets the array mixtape_jvm_flags.
#
# - The Vector API is an incubator module. ND4J (JavaCPP) loads native libraries, and JavaCPP and
#   JMH still use sun.misc.Unsafe's memory methods, which JDK 24+ warns about unless allowed.
# - G1 with 32 MB regions: a training step allocates its activations and gradients as arrays of a
#   few MB, which with the default regions (2 MB for the 6 GB heap a 24 GB machine gives) are
#   "humongous" objects, each taking regions of its own; with 32 MB regions they are ordinary young
#   objects. Fine-tuning a SmolLM2-135M shape with that heap ran ~8% faster than with the default
#   regions and ~10% faster than with the Parallel collector, in 4.2 GB of memory instead of 4.5-5.9 GB.

mixtape_jvm_flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
                   --sun-misc-unsafe-memory-access=allow -XX:G1HeapRegionSize=32m)
