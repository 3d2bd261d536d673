#!/usr/bin/env bash
# Brings up a real single-node SLURM (munged + slurmctld + slurmd) on localhost in a temporary
# folder, runs Strata jobs through it, and tears everything down on every exit path.
#
#   bash tests/launch/slurm_test.sh STRATA_BINARY SOURCE_DIR
#
# Needs root (installs slurm-wlm + munge with apt-get when missing; the daemons run as root) and
# no systemd. Prints PASS/FAIL lines; exits non-zero when a check fails. No verdict rests on how
# fast the machine is: jobs run without time limits, the signal reaches the job at a point the
# test controls (its tasks are paused with SIGSTOP), and every wait is for an event, bounded only
# so that a broken setup cannot hang the suite (the bounds are far above what a busy 2-core
# machine needs).
# See tests/launch/README-slurm-notes.md for the configuration and its pitfalls.
set -u

STRATA=${1:?usage: slurm_test.sh STRATA_BINARY SOURCE_DIR}
SRC=${2:?usage: slurm_test.sh STRATA_BINARY SOURCE_DIR}
STRATA=$(readlink -f "$STRATA")
SRC=$(readlink -f "$SRC")
CONFIG=$SRC/configs/smoke/autoencoder.yaml
T0=$(date +%s)
FAILS=0
PASSES=0

say() { echo "[slurm-test +$(( $(date +%s) - T0 ))s] $*"; }
pass() { PASSES=$((PASSES + 1)); echo "PASS: $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*"; }
die() { fail "$*"; exit 1; }   # the EXIT trap tears down

[ -x "$STRATA" ] || { echo "FAIL: no executable $STRATA"; exit 2; }
[ -f "$CONFIG" ] || { echo "FAIL: no $CONFIG"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (daemons run as SlurmUser=root)"; exit 2; }

# Under $TMPDIR (ctest points it into the build tree) unless that path is too long for the munge
# socket's address (108 bytes with its name); removed on every exit path by the teardown.
base=${TMPDIR:-/tmp}
[ "${#base}" -le 60 ] || base=/tmp
WORK=$(mktemp -d "$base/strata-slurm.XXXXXX")
chmod 755 "$WORK"

# ---------------------------------------------------------------- teardown (always)
teardown() {
    local rc=$?
    trap - EXIT INT TERM
    say "teardown"
    if [ -f "$WORK/slurm.conf" ] && [ -f "$WORK/slurmctld.pid" ]; then
        SLURM_CONF=$WORK/slurm.conf timeout 10 scancel --user=root >/dev/null 2>&1
        sleep 1
    fi
    local f pid
    for f in slurmd slurmctld munged; do
        [ -f "$WORK/$f.pid" ] || continue
        pid=$(cat "$WORK/$f.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    # job step helpers (slurmstepd) started by our slurmd: ended by pid, found by our conf path
    for pid in $(pgrep -f "$WORK" 2>/dev/null); do
        [ "$pid" != "$$" ] && kill -KILL "$pid" 2>/dev/null
    done
    if [ "$rc" != 0 ] || [ "$FAILS" != 0 ]; then
        for f in slurmctld.log slurmd.log munged.log; do
            [ -f "$WORK/log/$f" ] && { echo "---- tail $f"; tail -n 25 "$WORK/log/$f"; }
        done
    fi
    [ -n "${KEEP_SLURM_TEST_DIR:-}" ] && say "kept $WORK" || rm -rf "$WORK"
    say "total time $(( $(date +%s) - T0 ))s; $PASSES passed, $FAILS failed"
    if [ "$FAILS" != 0 ] && [ "$rc" = 0 ]; then rc=1; fi
    exit "$rc"
}
trap teardown EXIT
trap 'fail "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- 1. bring-up
need_install=0
for c in munged slurmctld slurmd srun sbatch sinfo scontrol scancel; do
    command -v "$c" >/dev/null 2>&1 || need_install=1
done
if [ "$need_install" = 1 ]; then
    say "installing slurm-wlm munge"
    export DEBIAN_FRONTEND=noninteractive
    if ! timeout 600 apt-get install -y slurm-wlm munge >"$WORK/apt.log" 2>&1; then
        timeout 300 apt-get update >>"$WORK/apt.log" 2>&1
        timeout 600 apt-get install -y slurm-wlm munge >>"$WORK/apt.log" 2>&1 ||
            { tail -n 20 "$WORK/apt.log"; die "apt-get install slurm-wlm munge"; }
    fi
fi
# the daemons' package-installed services do not run without systemd; ours use private paths
mkdir -p "$WORK/munge" "$WORK/log" "$WORK/state" "$WORK/spool" "$WORK/jobs"
chmod 755 "$WORK/munge"   # munged warns unless the socket folder is o+x
dd if=/dev/urandom bs=1 count=1024 of="$WORK/munge/munge.key" status=none
chmod 400 "$WORK/munge/munge.key"
SOCK=$WORK/munge/munge.socket
munged --force --key-file="$WORK/munge/munge.key" --socket="$SOCK" \
    --pid-file="$WORK/munged.pid" --log-file="$WORK/log/munged.log" \
    --seed-file="$WORK/munge/munged.seed" >"$WORK/log/munged.out" 2>&1 ||
    { cat "$WORK/log/munged.out"; die "munged did not start"; }
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
if echo hi | timeout 5 munge --socket="$SOCK" | timeout 5 unmunge --socket="$SOCK" >/dev/null 2>&1; then
    pass "munged up (munge | unmunge round trip)"
else
    die "munge | unmunge round trip failed"
fi

HOST=$(hostname -s)
NODELINE=$(slurmd -C 2>/dev/null | head -n 1)
case "$NODELINE" in NodeName=*) ;; *) die "slurmd -C gave no node line: $NODELINE";; esac
NODELINE=$(echo "$NODELINE" | sed -e "s/^NodeName=[^ ]*/NodeName=$HOST/")
# ports: away from the standard 6817/6818 so that a system SLURM does not collide
PORT0=$(( 17000 + RANDOM % 2000 ))
cat >"$WORK/slurm.conf" <<EOF
ClusterName=stratatest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT0
SlurmdPort=$((PORT0 + 1))
SrunPortRange=$((PORT0 + 10))-$((PORT0 + 200))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK,cred_expire=10
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool/slurmd-%n
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
FirstJobId=$(( (RANDOM % 30000) * 1000 + 1 ))
ReturnToService=2
SchedulerParameters=sched_interval=2
JobRequeue=1
KillWait=5
MinJobAge=300
InactiveLimit=0
$NODELINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
# a cgroup.conf is not read with proctrack/linuxproc + task/none. The PMIx plugin's per-step
# folders go to our folder, not /tmp (and a random FirstJobId keeps two of these tests on one
# machine - two build folders tested at once - from sharing job ids).
mkdir -p "$WORK/pmix"
echo "PMIxCliTmpDirBase=$WORK/pmix" >"$WORK/mpi.conf"
export SLURM_CONF=$WORK/slurm.conf
# Jobs inherit this environment: no OMP_NUM_THREADS (ctest sets one), so that Strata sizes each
# rank's threads itself, as it must for a user who starts it with srun.
unset OMP_NUM_THREADS
# Open MPI as root (mpirun inside a job) and on 2 cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

t_up=$(date +%s.%N)
slurmctld -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 ||
    { cat "$WORK/log/slurmctld.out"; die "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" >"$WORK/log/slurmd.out" 2>&1 ||
    { cat "$WORK/log/slurmd.out"; die "slurmd did not start"; }
state=""
for _ in $(seq 1 600); do
    state=$(timeout 5 sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    sleep 0.5
done
t_idle=$(echo "$(date +%s.%N) - $t_up" | bc)
if [ "$state" = idle ]; then
    pass "node $HOST idle ${t_idle}s after starting slurmctld+slurmd"
else
    timeout 5 sinfo; timeout 5 scontrol show node "$HOST"
    die "node not idle within 300s (state '$state')"
fi
MPILIST=$(timeout 10 srun --mpi=list 2>&1 | tr '\n' ' ')
say "srun --mpi=list: $MPILIST"
case "$MPILIST" in *pmix*) ;; *) fail "srun --mpi=list lacks pmix";; esac

# wait_job ID SECONDS: waits until the job leaves the queue; echoes its final state
wait_job() {
    local id=$1 limit=$2 st="" i
    for i in $(seq 1 $((limit * 2))); do
        st=$(timeout 5 scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
        case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE) break;; esac
        sleep 0.5
    done
    echo "$st"
}
job_field() {   # job_field ID FIELD
    timeout 5 scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | grep "^$2=" | head -n 1 | cut -d= -f2-
}
submit() {      # submit SCRIPT: echoes the job id
    timeout 20 sbatch --parsable "$@" 2>>"$WORK/log/sbatch.err" | cut -d';' -f1
}

# ---------------------------------------------------------------- data
DATA=$WORK/jobs/data
"$STRATA" data convert --format synthetic --count 200 --shape 1,8,8 --classes 4 --out "$DATA" \
    >"$WORK/log/data.out" 2>&1 || { cat "$WORK/log/data.out"; die "strata data convert"; }
TRAIN="$STRATA train $CONFIG --set data.train=$DATA --set data.test=$DATA"

# ---------------------------------------------------------------- 2. batch jobs, 2 ranks
run_batch() {   # run_batch NAME LAUNCHER CPU-LINE: a 2-task batch job end to end
    local name=$1 launcher=$2 out=$WORK/jobs/$1.out
    cat >"$WORK/jobs/$name.sh" <<EOF
#!/bin/bash
#SBATCH -J $name
#SBATCH -n 2
#SBATCH -N 1
#SBATCH -o $out
echo "job \$SLURM_JOB_ID on \$SLURM_JOB_NODELIST, \$SLURM_NTASKS tasks"
$launcher $TRAIN --run-dir $WORK/jobs/$name.run
echo "launcher exit \$?"
EOF
    local t0 id st dur ec
    t0=$(date +%s.%N)
    id=$(submit "$WORK/jobs/$name.sh")
    [ -n "$id" ] || { fail "$name: sbatch: $(tail -n 3 "$WORK/log/sbatch.err")"; return; }
    st=$(wait_job "$id" 900)
    dur=$(echo "$(date +%s.%N) - $t0" | bc)
    ec=$(job_field "$id" ExitCode)
    if [ "$st" = COMPLETED ] && grep -q '2 rank(s) (mpi)' "$out" && grep -q 'launcher exit 0' "$out"; then
        pass "$name: job $id COMPLETED in ${dur}s (ExitCode=$ec), log shows '2 rank(s) (mpi)'"
        grep -q "$3" "$out" && pass "$name: $(grep -m1 '^cpu:' "$out")" ||
            fail "$name: no '$3' in the log ($(grep -m1 '^cpu:' "$out"))"
    else
        fail "$name: job $id state '$st' ExitCode=$ec after ${dur}s"
        [ -f "$out" ] && tail -n 20 "$out"
    fi
}
# srun binds nothing here (task/none) and OMP_NUM_THREADS is unset: the two ranks may use both
# cores and must split them; mpirun binds each rank to a core.
run_batch srun_pmix "srun -n 2 --mpi=pmix" \
    "cpu: 1 thread per rank (auto: 2 CPUs allowed, shared by 2 ranks of this node"
run_batch mpirun_in_sbatch "mpirun --allow-run-as-root --oversubscribe -n 2" \
    "cpu: 1 thread per rank (auto: 1 CPU allowed"

# The project's multi-node script (launch/slurm/multi_node.sbatch -> run_job.sh, srun --mpi=pmix)
# end to end, on the one node here: its #SBATCH lines overridden for 2 tasks without GPUs.
multi_node_test() {
    local name=multi_node out=$WORK/jobs/multi_node.out id st dur t0
    t0=$(date +%s.%N)
    id=$(cd "$SRC" && submit -J "$name" --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 \
        --gpus-per-node=0 --time=UNLIMITED -o "$out" \
        --export="ALL,CONFIG=$CONFIG,BUILD=$(dirname "$(dirname "$STRATA")"),RUN_DIR=$WORK/jobs/$name.run" \
        launch/slurm/multi_node.sbatch --set "data.train=$DATA" --set "data.test=$DATA")
    [ -n "$id" ] || { fail "$name: sbatch: $(tail -n 3 "$WORK/log/sbatch.err")"; return; }
    st=$(wait_job "$id" 900)
    dur=$(echo "$(date +%s.%N) - $t0" | bc)
    if [ "$st" = COMPLETED ] && grep -q '2 rank(s) (mpi)' "$out" && [ -s "$WORK/jobs/$name.run/loss.png" ]; then
        pass "$name: launch/slurm/multi_node.sbatch job $id COMPLETED in ${dur}s on 2 ranks (mpi)"
    else
        fail "$name: job $id state '$st' after ${dur}s"
        [ -f "$out" ] && tail -n 20 "$out"
    fi
}
multi_node_test

# ---------------------------------------------------------------- 3. signal + requeue
# pause_then_usr1 JOB OUT RUN: pauses the job's two strata tasks (SIGSTOP) until their training
# loop has started (OUT shows "run folder:"; each pause lets them run 10 ms), then sends the job's
# batch script USR1 the way SLURM's time-limit warning does (scancel --signal=USR1 --batch), waits
# until the forwarded signal is pending in both tasks, and lets them go on (SIGCONT): they
# checkpoint at their next step and exit 75, wherever the training was, however fast or busy the
# machine is.
pause_then_usr1() {
    local id=$1 out=$2 run=$3 pids="" p ok
    local cmd="^$(dirname "$(dirname "$STRATA")")/bin/strata train .*--run-dir $run( |\$)"
    for _ in $(seq 1 3000); do
        pids=$(pgrep -f "$cmd" | tr '\n' ' ')
        [ "$(echo $pids | wc -w)" = 2 ] && break
        sleep 0.1
    done
    [ "$(echo $pids | wc -w)" = 2 ] || { fail "$id: did not find its 2 strata tasks"; return 1; }
    kill -STOP $pids
    for _ in $(seq 1 30000); do
        grep -q 'run folder:' "$out" 2>/dev/null && break
        kill -CONT $pids; sleep 0.01; kill -STOP $pids
    done
    grep -q 'run folder:' "$out" || { kill -CONT $pids; fail "$id: training never started"; return 1; }
    timeout 10 scancel --signal=USR1 --batch "$id" || fail "$id: scancel --signal=USR1 --batch"
    for p in $pids; do
        ok=0
        for _ in $(seq 1 3000); do   # bit 10 (SIGUSR1) of the shared pending mask
            (( 0x$(awk '/^ShdPnd:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0) & 0x200 )) && { ok=1; break; }
            sleep 0.1
        done
        [ "$ok" = 1 ] || fail "$id: SIGUSR1 never reached task $p"
    done
    kill -CONT $pids
}

# requeue_test NAME EPOCHS: a batch job (the project's launch/slurm/single_node.sbatch ->
# run_job.sh) signalled mid-run: it checkpoints (exit 75), requeues itself, resumes and completes;
# its final metrics and `strata eval` must equal those of the same command run without a stop.
requeue_test() {
    local name=$1 epochs=$2 RQ=$WORK/jobs/$1
    # #SBATCH lines overridden for this 2-core node without GPUs; no time limit.
    local sets=(--set "data.train=$DATA" --set "data.test=$DATA" --set "trainer.epochs=$epochs"
                --set checkpoint.every_epochs=50)
    local id st ok t_sig t_rq t0
    t0=$(date +%s.%N)
    id=$(cd "$SRC" && submit -J "$name" --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 \
        --gpus-per-node=0 --time=UNLIMITED -o "$RQ.out" \
        --export="ALL,CONFIG=$CONFIG,BUILD=$(dirname "$(dirname "$STRATA")"),RUN_DIR=$RQ.run" \
        launch/slurm/single_node.sbatch "${sets[@]}")
    [ -n "$id" ] || { fail "$name: sbatch: $(tail -n 3 "$WORK/log/sbatch.err")"; return; }
    t_sig=$(date +%s.%N)
    pause_then_usr1 "$id" "$RQ.out" "$RQ.run" || return
    # requeued: the appended output gets a second START line with SLURM_RESTART_COUNT=1
    ok=0
    for _ in $(seq 1 3000); do
        grep -q 'restart 1 on' "$RQ.out" 2>/dev/null && { ok=1; break; }
        sleep 0.2
    done
    t_rq=$(echo "$(date +%s.%N) - $t_sig" | bc)
    if grep -q 'strata exited with 75' "$RQ.out"; then
        pass "$name: program checkpointed on USR1 and exited 75: $(grep -m1 'stop requested' "$RQ.out" | tr -d '\r' | cut -c1-120)"
    else
        fail "$name: no 'strata exited with 75' in the output"
    fi
    if [ "$ok" = 1 ]; then
        pass "$name: job $id restarted with SLURM_RESTART_COUNT=1, ${t_rq}s after the signal"
        ok=0
        for _ in $(seq 1 3000); do grep -q 'resuming from' "$RQ.out" && { ok=1; break; }; sleep 0.2; done
        if [ "$ok" = 1 ]; then
            pass "$name: second run printed: $(grep -m1 'resuming from' "$RQ.out" | tr -d '\r' | cut -c1-160)"
        else
            fail "$name: second run did not print 'resuming from'"
        fi
    else
        fail "$name: no SLURM_RESTART_COUNT=1 (state $(job_field "$id" JobState))"
    fi
    st=$(wait_job "$id" 1800)
    local dur ec
    dur=$(echo "$(date +%s.%N) - $t0" | bc)
    ec=$(job_field "$id" ExitCode)
    if [ "$st" = COMPLETED ] && grep -q 'strata exited with 0' "$RQ.out"; then
        pass "$name: requeued job $id COMPLETED after ${dur}s in all (ExitCode=$ec)"
    else
        fail "$name: requeued job $id state '$st' ExitCode=$ec after ${dur}s"
    fi
    # The same command uninterrupted, as a job step of its own, without a time limit.
    srun -n 2 -N 1 --mpi=pmix --time=UNLIMITED $TRAIN --run-dir "$RQ.ref" \
        --set trainer.epochs="$epochs" --set checkpoint.every_epochs=50 >"$RQ.ref.out" 2>&1 ||
        fail "$name: uninterrupted reference run failed: $(tail -n 3 "$RQ.ref.out")"
    local a b ea eb
    a=$(grep test_mse "$RQ.run/metrics.jsonl" 2>/dev/null | tail -n 1)
    b=$(grep test_mse "$RQ.ref/metrics.jsonl" 2>/dev/null | tail -n 1)
    if [ -n "$a" ] && [ "$a" = "$b" ]; then
        pass "$name: final metrics equal an uninterrupted run's: $a"
    else
        fail "$name: final metrics differ: requeued '$a' vs uninterrupted '$b'"
    fi
    # the JSON line names the checkpoint's path: compare step, metric and value only
    ea=$("$STRATA" eval --checkpoint "$RQ.run" --data "$DATA" 2>&1 | tail -n 1 |
        grep -o '"\(step\|metric\|value\)": [^,}]*' | tr '\n' ' ')
    eb=$("$STRATA" eval --checkpoint "$RQ.ref" --data "$DATA" 2>&1 | tail -n 1 |
        grep -o '"\(step\|metric\|value\)": [^,}]*' | tr '\n' ' ')
    if [ -n "$ea" ] && [ "$ea" = "$eb" ]; then
        pass "$name: strata eval of the final checkpoints equal: $ea"
    else
        fail "$name: strata eval differs: requeued '$ea' vs uninterrupted '$eb'"
    fi
    # every step once in the requeued run's metrics.jsonl (records after the checkpoint dropped)
    if [ "$(grep -c '"loss"' "$RQ.run/metrics.jsonl")" = "$(grep -c '"loss"' "$RQ.ref/metrics.jsonl")" ]; then
        pass "$name: metrics.jsonl holds as many training records as the uninterrupted run's ($(grep -c '"loss"' "$RQ.ref/metrics.jsonl"))"
    else
        fail "$name: metrics.jsonl: $(grep -c '"loss"' "$RQ.run/metrics.jsonl") training records, uninterrupted $(grep -c '"loss"' "$RQ.ref/metrics.jsonl")"
    fi
    if [ "$FAILS" != 0 ]; then echo "---- $RQ.out"; tr '\r' '\n' <"$RQ.out" | grep -v '^train ep' | tail -n 30; fi
}
requeue_test requeue "${SLURM_TEST_EPOCHS:-300}"

[ "$FAILS" = 0 ] && say "all checks passed" || say "$FAILS check(s) failed"
exit 0   # teardown turns FAILS into the exit code
