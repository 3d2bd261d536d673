#!/usr/bin/env bash
# One machine, several ranks: launch/run_local.sh [-n RANKS] [-b BUILD_DIR] CONFIG.yaml [train args]
#
# Starts RANKS processes of `strata train` with mpirun: by default one per GPU when there are GPUs
# (each rank takes GPU local_rank % count), else one per CPU socket. The cores are split evenly:
# each rank gets OMP_NUM_THREADS = cores / ranks and is bound to its own cores when there are
# enough of them. Extra arguments go to `strata train` (--set, --run-dir, --resume auto).
# Ctrl-C, SIGTERM or SIGHUP: every rank checkpoints at its next step and the script exits with 75
# (resumable: the same command with --resume auto); a second one ends the ranks at once.
#   launch/run_local.sh configs/fashion_stacked_ae_classifier.yaml --run-dir runs/sae
#   launch/run_local.sh -n 4 configs/fashion_dcgan28.yaml --resume auto --run-dir runs/gan
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="" build=build
while getopts "n:b:h" opt; do
  case $opt in
    n) ranks=$OPTARG ;;
    b) build=$OPTARG ;;
    *) sed -n '2,9p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -ge 1 ]] || { sed -n '2,9p' "$0"; exit 2; }
[[ -x $build/bin/strata ]] || { echo "run_local.sh: $build/bin/strata is missing; run launch/setup.sh" >&2; exit 1; }

gpus=0
command -v nvidia-smi > /dev/null && gpus=$(nvidia-smi -L 2> /dev/null | grep -c '^GPU' || true)
sockets=$(lscpu -p=SOCKET 2> /dev/null | grep -v '^#' | sort -u | wc -l)
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc obeys OMP_NUM_THREADS
if [[ -z $ranks ]]; then
  if (( gpus > 0 )); then ranks=$gpus; else ranks=$(( sockets > 0 ? sockets : 1 )); fi
fi
threads=$(( cores / ranks > 0 ? cores / ranks : 1 ))

flags=(-n "$ranks" -x OMP_NUM_THREADS="$threads" -x OMP_PROC_BIND=close)
if (( cores >= ranks * threads && ranks <= cores )); then
  flags+=(--map-by "slot:PE=$threads" --bind-to core)   # each rank on its own cores
else
  flags+=(--oversubscribe --bind-to none)               # more ranks than cores
fi
[[ $(id -u) -eq 0 ]] && flags+=(--allow-run-as-root)    # Open MPI refuses root otherwise
# NCCL (GPU runs): warnings only; over a network, set NCCL_SOCKET_IFNAME / NCCL_IB_HCA yourself.
(( gpus > 0 )) && flags+=(-x NCCL_DEBUG="${NCCL_DEBUG:-WARN}")
echo "run_local.sh: $ranks rank(s) x $threads thread(s) ($gpus GPU(s), $cores cores)"

# mpirun ends the ranks itself on SIGINT, SIGTERM or SIGHUP (it forwards only SIGUSR1/SIGUSR2), so
# it runs in a session of its own, out of reach of the terminal's Ctrl-C, and this script turns
# those signals into a SIGUSR1: every rank checkpoints and exits 75, and so does mpirun.
setsid mpirun "${flags[@]}" "$build/bin/strata" train "$@" < /dev/null &
pid=$!
stops=0
stop() {
  stops=$((stops + 1))
  if ((stops == 1)); then
    echo "run_local.sh: $1: every rank checkpoints at its next step, then the run exits with 75" \
      "($1 again: end at once, without a checkpoint)" >&2
    kill -USR1 "$pid" 2> /dev/null
  else
    echo "run_local.sh: $1 again: ending the ranks now" >&2
    kill -TERM "$pid" 2> /dev/null
  fi
}
trap 'stop SIGINT' INT
trap 'stop SIGTERM' TERM
trap 'stop SIGHUP' HUP
# A trap interrupts `wait`; wait again until mpirun has really ended.
while true; do
  code=0
  wait "$pid" || code=$?
  kill -0 "$pid" 2> /dev/null || break
done
exit "$code"
