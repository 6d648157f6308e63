#!/bin/sh
# A real single-node Slurm (munged + slurmctld + slurmd from Debian's packages) with every file
# under one directory and no systemd. Source it, then: cluster_start DIR; ...; cluster_stop.
# Daemons are stopped by their recorded PIDs, never by name.

cluster_start() {
  CLUSTER_DIR=$1
  rm -rf "$CLUSTER_DIR"; mkdir -p "$CLUSTER_DIR/spool" "$CLUSTER_DIR/state" "$CLUSTER_DIR/log"
  # munged runs as user munge: its files live in a short directory of their own under /tmp, because
  # the test tree may sit below a directory only root can enter (mktemp -d makes them 0700) and a
  # Unix socket path must stay under 108 bytes
  MUNGE_DIR=$(mktemp -d /tmp/repdrift-munge.XXXXXX)
  chmod 0755 "$MUNGE_DIR"; chown munge:munge "$MUNGE_DIR"
  dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1024 count=1 2> /dev/null
  chown munge:munge "$MUNGE_DIR/munge.key"; chmod 0400 "$MUNGE_DIR/munge.key"
  MUNGE_SOCKET=$MUNGE_DIR/munge.sock
  runuser -u munge -- /usr/sbin/munged -F --socket="$MUNGE_SOCKET" --key-file="$MUNGE_DIR/munge.key" \
    --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" \
    --seed-file="$MUNGE_DIR/munged.seed" > "$CLUSTER_DIR/log/munged.out" 2>&1 &
  MUNGED_PID=$!
  host=$(hostname -s)
  node=$(slurmd -C | head -1 | sed 's/ UpTime.*//; s/RealMemory=[0-9]*/RealMemory=1000/')
  cat > "$CLUSTER_DIR/slurm.conf" <<CONF
ClusterName=repdrifttest
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$((16000 + $$ % 1000))
SlurmdPort=$((17000 + $$ % 1000))
StateSaveLocation=$CLUSTER_DIR/state
SlurmdSpoolDir=$CLUSTER_DIR/spool
SlurmctldPidFile=$CLUSTER_DIR/slurmctld.pid
SlurmdPidFile=$CLUSTER_DIR/slurmd.pid
SlurmctldLogFile=$CLUSTER_DIR/log/slurmctld.log
SlurmdLogFile=$CLUSTER_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
MinJobAge=5
MailProg=/bin/true
ReturnToService=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$CLUSTER_DIR/slurm.conf
  deadline=$(( $(date +%s) + 60 ))
  until [ -S "$MUNGE_SOCKET" ]; do
    if ! kill -0 $MUNGED_PID 2> /dev/null || [ "$(date +%s)" -gt $deadline ]; then
      echo "cluster_start: munged did not start"; tail -n 20 "$CLUSTER_DIR/log/munged.out" "$MUNGE_DIR/munged.log" 2> /dev/null; return 1
    fi
    sleep 0.2
  done
  /usr/sbin/slurmctld -D -c -i -f "$SLURM_CONF" > "$CLUSTER_DIR/log/slurmctld.out" 2>&1 &
  SLURMCTLD_PID=$!
  /usr/sbin/slurmd -D -f "$SLURM_CONF" > "$CLUSTER_DIR/log/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  # ready when the node is idle; every probe bounded, the whole start bounded
  until timeout 5 sinfo -h -o %T 2> /dev/null | grep -q idle; do
    if [ "$(date +%s)" -gt $deadline ]; then
      echo "cluster_start: Slurm did not come up in 60 s"; tail -n 20 "$CLUSTER_DIR"/log/*; return 1
    fi
    sleep 0.5
  done
  echo "cluster_start: Slurm up ($(sinfo -h -o '%N %c CPUs %T'))"
}

cluster_stop() {
  # jobs first (slurmstepd outlives slurmd), then the recorded daemons in reverse order
  timeout 10 scancel --user=root > /dev/null 2>&1
  sleep 1
  for pid in ${SLURMD_PID:-} ${SLURMCTLD_PID:-} ${MUNGED_PID:-}; do kill "$pid" 2> /dev/null; done
  for pid in ${SLURMD_PID:-} ${SLURMCTLD_PID:-} ${MUNGED_PID:-}; do wait "$pid" 2> /dev/null; done
  # munged was started through runuser: stop the daemon itself by its pid file
  [ -f "${MUNGE_DIR:-}/munged.pid" ] && kill "$(cat "$MUNGE_DIR/munged.pid")" 2> /dev/null
  [ -n "${MUNGE_DIR:-}" ] && rm -rf "$MUNGE_DIR"
  return 0
}
