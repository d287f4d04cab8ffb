# Apache Spark for `finetune --spark` and `compose --spark` (docs/SPARK.md): sourced by the launchers after run-java.sh.
# Spark is not one of Mixtape's jars: with --spark on the command line, `mixtape_use_spark CLASSPATH`
# puts CLASSPATH (Spark's jars and the Jackson line it needs) before Mixtape's on $classpath, adds the
# JVM flags Spark's own launcher adds on JDK 17+ (org.apache.spark.launcher.JavaModuleOptions, less
# sun.security.action, which JDK 25 no longer has; the spark module's pom holds the same list for its
# tests) and keeps Spark's logging to warnings.

mixtape_spark_jvm_flags=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true)

# True when the arguments hold --spark.
mixtape_wants_spark() {
  local arg
  for arg in "$@"; do
    case $arg in --spark | --spark=*) return 0 ;; esac
  done
  return 1
}

# mixtape_use_spark SPARK_CLASSPATH LOG_CONFIG [ASSEMBLY]: ASSEMBLY, the mixtape-spark-*-all.jar a
# cluster's executors load Mixtape from, becomes spark.jars (which Spark reads from system properties).
mixtape_use_spark() {
  classpath="$1:$classpath"
  mixtape_java_flags+=("${mixtape_spark_jvm_flags[@]}" -Dlog4j2.configurationFile="$2")
  if [ -n "${3:-}" ]; then
    mixtape_java_flags+=(-Dspark.jars="$3")
  fi
}
