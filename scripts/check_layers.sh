#!/usr/bin/env bash
# check_layers.sh [SRC] - the source layers depend one way (`make check` runs it).
#
# Every file SRC/<layer>/*.{c,h} (SRC defaults to the repository's src/) may include, with
# #include "x/name.h", headers of its own layer and of the layers allowed below; a quoted include
# that names no folder ("util.h") is an error too, since quoted includes are the project's headers.
# Each violation is printed as `file:line: <layer> includes <header> (allowed: ...)`; the exit
# status is 1 if there is any, else 0.
set -uo pipefail

# the layers, lowest first, and what each may include besides itself
layers=(base model geom cad data eval web ml train infer cli)
declare -A lower=(
    [base]=""
    [model]="base"
    [geom]="base model"
    [cad]="base model geom"
    [data]="base model geom cad"
    [eval]="base model geom cad data"
    [web]="base model geom cad data eval"
    [ml]="base"
    [train]="base ml data"
    [infer]="base model geom cad data eval ml train"
    [cli]="base model geom cad data eval web ml train infer"
)

if [[ $# -ge 1 ]]; then
    src=$1
else
    cd "$(dirname "$0")/.." || exit 2
    src=src
fi
[[ -d $src ]] || { echo "check_layers.sh: no folder $src" >&2; exit 2; }

bad=0
report() { # file line message
    echo "$1:$2: $3"
    bad=1
}

for f in "$src"/*.c "$src"/*.h; do
    [[ -e $f ]] && report "$f" 1 "not in a layer folder (layers: ${layers[*]})"
done

for f in "$src"/*/*.c "$src"/*/*.h; do
    [[ -e $f ]] || continue
    dir=${f%/*}
    layer=${dir##*/}
    if [[ -z ${lower[$layer]+set} ]]; then
        report "$f" 1 "folder $layer is not a layer (layers: ${layers[*]})"
        continue
    fi
    allowed="$layer${lower[$layer]:+ ${lower[$layer]}}"
    while IFS= read -r hit; do
        line=${hit%%:*}
        text=${hit#*:}
        [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]*)\" ]] || continue
        header=${BASH_REMATCH[1]}
        if [[ $header != */* ]]; then
            report "$f" "$line" "$layer includes $header without its folder (write \"<layer>/$header\"; allowed: ${allowed// /, })"
            continue
        fi
        case " $allowed " in
        *" ${header%%/*} "*) ;;
        *) report "$f" "$line" "$layer includes $header (allowed: ${allowed// /, })" ;;
        esac
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
done
exit $bad
