# Finds a JDK 25 or newer and exports JAVA_HOME to it. Sourced by ./mvnw and ./mixtape.
#
# Order: $JAVA_HOME, then `java` on PATH, then the usual install folders (Debian's /usr/lib/jvm,
# /usr/java, /opt, SDKMAN, macOS). The newest JDK that is at least 25 wins among the folders.

mixtape_java_major() {  # prints the feature version of the JDK in folder $1, or nothing
  local release="$1/release" version
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$release" ]; then
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    version=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  printf '%s' "$version"
}

mixtape_find_jdk() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ "$(mixtape_java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if [ "$(mixtape_java_major "$candidate")" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* \
                   /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$candidate" ] || continue
    major=$(mixtape_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate"
      best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "Mixtape needs JDK 25 or newer, and none was found (JAVA_HOME, java on PATH, /usr/lib/jvm, /usr/java, /opt, SDKMAN)." >&2
    echo "Install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium's apt repository) or from https://adoptium.net, or set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
