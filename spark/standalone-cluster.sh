#!/usr/bin/env bash
# Fine-tunes on a Spark standalone cluster started on this machine, and checks it against the same run
# in one process (docs/SPARK.md, "A standalone cluster"):
#   1. builds the spark module: Spark's jars as Maven resolved them, and mixtape-spark-*-all.jar;
#   2. lays out a Spark home from those jars (target/spark-home/jars, links into ~/.m2), from which a
#      worker builds its executors' classpath;
#   3. starts a master (org.apache.spark.deploy.master.Master) and two workers of one core each
#      (org.apache.spark.deploy.worker.Worker) on 127.0.0.1, as sbin/start-master.sh and
#      start-worker.sh would;
#   4. runs ./mixtape finetune on the bundled tiny model twice, in one process and with
#      --spark spark://127.0.0.1:7077 (the driver is ./mixtape; each worker's executor, a JVM of its
#      own, loads the model once and computes one micro-batch of each step), and compares the two run
#      folders' metrics.jsonl (but tokens_per_s) and adapters byte for byte;
#   5. stops the cluster.
# Usage: spark/standalone-cluster.sh [STEPS] (default 6). Logs and run folders: spark/target/standalone/.
# spark/standalone-cluster.sh --bench [--quick] runs bench/run spark with the cluster's row instead of 4.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/.mvn/jdk25.sh"
mixtape_find_jdk || exit 1
. "$root/.mvn/spark.sh"
bench=()
if [ "${1:-}" = --bench ]; then
  bench=("${@:2}")
  steps=0
else
  steps=${1:-6}
fi
work="$root/spark/target/standalone"
home="$root/spark/target/spark-home"
master_port=7077
# A worker finds the executors' jars in $SPARK_HOME/jars, for the Scala line SPARK_SCALA_VERSION names.
export SPARK_LOCAL_IP=127.0.0.1 SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 JAVA_HOME

(cd "$root" && ./mvnw -q -B -DskipTests -pl cli -am package)
rm -rf "$work" "$home"
mkdir -p "$work" "$home/jars"
IFS=: read -ra jars <<< "$(cat "$root/spark/target/spark-jackson-classpath.txt"):$(cat "$root/spark/target/spark-classpath.txt")"
for jar in "${jars[@]}"; do
  ln -sf "$jar" "$home/jars/"
done
echo "Spark $(basename "$home"/jars/spark-core_*.jar .jar | sed 's/spark-core_[^-]*-//') from the Maven artifacts" > "$home/RELEASE"

pids=()
stop_cluster() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_cluster EXIT
spark_java=("$JAVA_HOME/bin/java" "${mixtape_spark_jvm_flags[@]}" --enable-native-access=ALL-UNNAMED -Xmx512m -Dlog4j2.configurationFile="$root/.mvn/spark-log4j2.properties"
            -cp "$home/jars/*")
"${spark_java[@]}" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$master_port" --webui-port 8090 \
  > "$work/master.log" 2>&1 &
pids+=($!)
sleep 5
for worker in 1 2; do
  mkdir -p "$work/worker-$worker"
  "${spark_java[@]}" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 2g --webui-port $((8090 + worker)) \
    --work-dir "$work/worker-$worker" "spark://127.0.0.1:$master_port" > "$work/worker-$worker.log" 2>&1 &
  pids+=($!)
done
sleep 8

if [ "$steps" = 0 ]; then
  "$root/bench/run" spark "${bench[@]}" --master "spark://127.0.0.1:$master_port"
  exit
fi

run() {
  local out=$1
  shift
  "$root/mixtape" finetune --steps "$steps" --batch-size 8 --grad-accum 2 --eval-every 3 --out "$work/$out" "$@" \
    > "$work/$out.json" 2> "$work/$out.log"
}
run single
MIXTAPE_JAVA_OPTS="-Dspark.executor.memory=1g -Dspark.task.maxFailures=4" run cluster --spark "spark://127.0.0.1:$master_port"
grep "gradients computed on" "$work/cluster.log"

metrics() {
  sed 's/"tokens_per_s":[^,}]*,\{0,1\}//' "$1/metrics.jsonl"
}
if diff <(metrics "$work/single") <(metrics "$work/cluster") > /dev/null \
   && cmp -s "$work/single/adapter_model.safetensors" "$work/cluster/adapter_model.safetensors"; then
  echo "standalone cluster: $steps steps of 2 micro-batches on 2 workers equal the single-process run bit for bit (metrics and adapter)"
  tail -1 "$work/single.json"
  tail -1 "$work/cluster.json"
else
  echo "standalone cluster: the runs differ" >&2
  diff <(metrics "$work/single") <(metrics "$work/cluster") >&2 || true
  exit 1
fi
