# Sourced by the wrappers in this directory and by setup.sh: reads the pinned
# versions of protoc and protoc-gen-connect-kotlin from ../pom.xml (the single
# place they are written) and locates them in the local Maven repository.
kotlin_sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pom_property() {
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$kotlin_sdk_dir/pom.xml" | head -n1
}
protobuf_version="$(pom_property protobuf.version)"
connect_kotlin_plugin_version="$(pom_property protoc-gen-connect-kotlin.version)"
m2_repo="${M2_REPO:-$HOME/.m2/repository}"
protoc_exe="$m2_repo/com/google/protobuf/protoc/$protobuf_version/protoc-$protobuf_version-linux-x86_64.exe"
connect_kotlin_plugin_jar="$m2_repo/com/connectrpc/protoc-gen-connect-kotlin/$connect_kotlin_plugin_version/protoc-gen-connect-kotlin-$connect_kotlin_plugin_version.jar"
