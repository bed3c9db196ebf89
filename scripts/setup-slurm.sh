#!/usr/bin/env bash
# Installs what the real Slurm test (tests/slurm_shards.rs) needs, idempotently:
#   Debian's slurm-wlm (slurmctld, slurmd, sbatch: Slurm 22.05 on bookworm) and munge
#   (munged, the authentication daemon Slurm uses), with one `apt-get update` and one
#   `apt-get install -y`, only when a binary is missing;
#   ${EVALKIT_CACHE:-$HOME/.cache/evalkit}/slurm/munge.key: the cluster's munge key
#   (1,024 random bytes, owned by the munge user, mode 0400), made once and kept.
# The test writes its own slurm.conf (loopback addresses, free ports, spool and log
# directories in a temporary directory) and starts and stops the daemons itself; nothing
# here starts a daemon or edits /etc. Needs root (or sudo) for apt-get and chown.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi

debs=()
for bin in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/bin/scontrol; do
    [ -x "$bin" ] || { debs+=(slurm-wlm); break; }
done
[ -x /usr/sbin/munged ] || debs+=(munge)
if [ ${#debs[@]} -eq 0 ]; then
    echo "Slurm and munge: slurmctld, slurmd, sbatch, munged (installed)"
else
    echo "Debian packages: installing ${debs[*]}"
    "${sudo[@]}" apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
        "${debs[@]}" >&2
fi

cache="${EVALKIT_CACHE:-$HOME/.cache/evalkit}"
dir="$cache/slurm"
key="$dir/munge.key"
mkdir -p "$dir"
if [ -s "$key" ]; then
    echo "munge key: $key (cached)"
else
    # Written through a temporary file so an interrupted run leaves no short key.
    tmp="$key.part"
    head -c 1024 /dev/urandom >"$tmp"
    "${sudo[@]}" chown munge:munge "$tmp"
    "${sudo[@]}" chmod 0400 "$tmp"
    mv "$tmp" "$key"
    echo "munge key: $key (made)"
fi
