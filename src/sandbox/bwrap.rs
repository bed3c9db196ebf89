//! The bubblewrap command line: what the sandboxed program can see. Everything is
//! unshared (network, loopback included; PIDs; IPC; UTS; users; cgroups); the root is an
//! empty tmpfs made read-only, with /usr bound read-only and the usual /bin, /lib,
//! /lib64, /sbin symlinks into it; a fresh /proc for the sandbox's own PIDs and a minimal
//! /dev (also read-only); and a size-capped tmpfs /tmp as the only writable place and the
//! working directory. No /etc, /home, /root, /run, /sys or any other host path. The
//! child's environment is cleared (`--clearenv`; bwrap itself is started with an empty
//! environment too, or the program could read it from /proc/1/environ), it runs in a
//! session of its own (`--new-session`: no terminal to inject input into) with no
//! capabilities, and it dies with the process that started it.

/// bwrap's arguments up to (not including) the program's own argv.
pub(crate) fn args(tmp_bytes: u64) -> Vec<String> {
    let mut args: Vec<String> = [
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/sbin",
        "/sbin",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
    ]
    .map(String::from)
    .to_vec();
    args.push(tmp_bytes.to_string());
    args.extend(
        [
            "--tmpfs",
            "/tmp",
            "--remount-ro",
            "/dev",
            "--remount-ro",
            "/",
            "--chdir",
            "/tmp",
            "--",
        ]
        .map(String::from),
    );
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_of_the_host_but_usr_and_a_fresh_tmp() {
        let args = args(1 << 20).join(" ");
        assert!(args.starts_with("--unshare-all --die-with-parent --new-session"));
        assert!(args.contains("--clearenv"));
        assert!(args.contains("--size 1048576 --tmpfs /tmp"));
        assert!(args.ends_with("--remount-ro / --chdir /tmp --"));
        // The only host path bound is /usr, read-only.
        assert_eq!(args.matches("bind").count(), 1);
        assert!(args.contains("--ro-bind /usr /usr"));
        for host in ["/etc", "/home", "/root", "/run", "/sys", "/var"] {
            assert!(!args.contains(host), "{host} in {args}");
        }
    }
}
