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
# spark/standalone-cluster.sh --submit [STEPS] runs docs/SPARK.md's spark-submit recipe instead of 4: the
#   distribution (cli/target/mixtape-<version>/) submitted to the cluster by $SPARK_HOME/bin/spark-submit
#   (here a copy of the Spark distribution's bin/spark-submit and bin/spark-class logic: Spark's launcher,
#   org.apache.spark.launcher.Main, builds the driver's command), checked bit for bit against the
#   distribution's bin/mixtape in one process, and compose --spark against compose in one process.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/.mvn/jdk25.sh"
mixtape_find_jdk || exit 1
. "$root/.mvn/spark.sh"
bench=()
submit=false
if [ "${1:-}" = --bench ]; then
  bench=("${@:2}")
  steps=0
elif [ "${1:-}" = --submit ]; then
  submit=true
  steps=${2:-6}
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
# bin/spark-submit as the Spark distribution has it (bin/spark-class): Spark's launcher prints its
# messages, an empty line, then the driver's command NUL-separated (its exit status last), which is run.
mkdir -p "$home/bin"
cat > "$home/bin/spark-submit" <<'SUBMIT'
#!/usr/bin/env bash
command=()
delimiter=$'\n'
started=false
while IFS= read -d "$delimiter" -r arg; do
  if [ "$started" = true ]; then
    command+=("$arg")
  elif [ -z "$arg" ]; then
    delimiter=''
    started=true
  else
    echo "$arg"
  fi
done < <("$JAVA_HOME/bin/java" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit "$@"; printf '%d\0' $?)
status=${command[${#command[@]} - 1]}
[ "$status" = 0 ] || exit "$status"
exec "${command[@]:0:${#command[@]} - 1}"
SUBMIT
chmod +x "$home/bin/spark-submit"

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

if [ "$submit" = true ]; then
  dist=$(ls -d "$root"/cli/target/mixtape-*/ | head -1)
  master="spark://127.0.0.1:$master_port"
  "$dist/bin/mixtape" finetune --steps "$steps" --batch-size 8 --grad-accum 2 --eval-every 3 --out "$work/single" \
    > "$work/single.json" 2> "$work/single.log"
  # docs/SPARK.md's recipe, as written there.
  MIXTAPE_HOME=$dist
  "$SPARK_HOME/bin/spark-submit" --master "$master" \
    --driver-java-options "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dlog4j2.configurationFile=$MIXTAPE_HOME/libexec/spark-log4j2.properties" \
    --conf spark.executor.extraJavaOptions="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED" \
    --conf spark.executor.memory=1g \
    --jars "$(ls "$MIXTAPE_HOME"/lib/*.jar | paste -sd, -)" \
    --class dev.mixtape.cli.Mixtape "$(ls "$MIXTAPE_HOME"/spark/mixtape-spark-*-all.jar)" \
    finetune --steps "$steps" --batch-size 8 --grad-accum 2 --eval-every 3 --out "$work/submitted" --spark "$master" \
    > "$work/submitted.json" 2> "$work/submitted.log"
  # compose --spark through the distribution's bin/mixtape (Spark from $SPARK_HOME/jars, the assembly from spark/).
  tasks="$root/testdata/src/main/resources/dev/mixtape/testdata/tasks"
  for task in add reverse; do
    "$dist/bin/mixtape" finetune --task "$task" --steps 10 --out "$work/experts/$task" > /dev/null 2> "$work/expert-$task.log"
  done
  cat "$tasks/add/train.jsonl" "$tasks/reverse/train.jsonl" | awk 'NR % 7 == 0' > "$work/mix.jsonl"
  compose() {
    local out=$1
    shift
    "$dist/bin/mixtape" compose --experts "$work/experts/add,$work/experts/reverse" --data "$work/mix.jsonl" --steps 4 --batch-size 8 \
      --grad-accum 2 --balance-weight 0.5 --out "$work/$out" "$@" > "$work/$out.json" 2> "$work/$out.log"
  }
  compose compose-single
  MIXTAPE_JAVA_OPTS="-Dspark.executor.memory=1g" compose compose-cluster --spark "$master"
  grep -h "computed on" "$work/submitted.log" "$work/compose-cluster.log"
  metrics() {
    sed 's/"tokens_per_s":[^,}]*,\{0,1\}//' "$1/metrics.jsonl"
  }
  if diff <(metrics "$work/single") <(metrics "$work/submitted") > /dev/null \
     && cmp -s "$work/single/adapter_model.safetensors" "$work/submitted/adapter_model.safetensors" \
     && diff <(metrics "$work/compose-single") <(metrics "$work/compose-cluster") > /dev/null \
     && cmp -s "$work/compose-single/mole_gates.safetensors" "$work/compose-cluster/mole_gates.safetensors"; then
    echo "standalone cluster: spark-submit of the distribution ($steps steps) and compose --spark (4 steps) equal their single-process runs bit for bit"
    exit 0
  fi
  echo "standalone cluster: the runs differ" >&2
  diff <(metrics "$work/single") <(metrics "$work/submitted") >&2 || true
  diff <(metrics "$work/compose-single") <(metrics "$work/compose-cluster") >&2 || true
  exit 1
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
