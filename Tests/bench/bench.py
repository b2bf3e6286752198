#!/usr/bin/env python3
"""husk vs crun vs runc: start-up benchmark (python3 stdlib only, run as root).

Method (see ../shared/bench/README.md): one busybox bundle with /bin/true, an
absolute root.path and a cgroupsPath nested under this process's own cgroup;
runtimes interleaved in a shuffled order each round (seeded: whoever runs right after another
runtime pays for what that one left the kernel to finish, so no runtime may always follow the
same one), medians reported with husk's ratios.

  run     foreground `RT --root S run --bundle B ID`: wall time, CPU (user+sys)
  split   create --pid-file / start / wait for PID 1 / delete
  exec    `RT exec ID /bin/true` into a container running `sleep 1000`
  state   `RT state ID` of that container
  rss     peak RSS of `run`, from `/usr/bin/time -f %M`
  sandbox `husk sandbox --rootfs R -- /bin/true` (overlay, cgroups, watcher, report,
          cleanup; default state root and sandbox dir; measured first) against `bwrap --unshare-all --die-with-parent --ro-bind R / --proc
          /proc --dev /dev /bin/true` (namespaces only), interleaved

State roots (--root) live in a directory under /run when /run is a tmpfs, where runc, crun
and husk keep them by default (/run/runc, /run/crun, /run/husk); everything else (bundles,
the sandbox's --tmp-dir, like its default /var/lib/husk/sandboxes) on the disk, in $TMPDIR.

The column "husk+seccomp" is husk with the default seccomp profile (`husk spec`'s
linux.seccomp) in the bundle; the other columns run without a profile. Its last
column is the cost of the profile (husk+seccomp / husk). --no-seccomp-row drops it.

On hybrid cgroup hosts crun refuses to run, so every runtime runs through the
same wrapper: a private mount namespace in which
/sys/fs/cgroup/unified/cgroup.controllers reads empty. Host mounts are never
touched. The row "wrapper alone" is that wrapper running /bin/true.
"""
import argparse, ctypes, json, os, random, select, shutil, signal, statistics, subprocess, sys, tempfile, time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIFIED_CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers"
TIMEOUT = 30.0
NAMES = ("husk", "crun", "runc")
INFLIGHT = set()  # runtime processes spawned and not yet reaped (for Ctrl-C)


class Failed(Exception):
    pass


# ---------------------------------------------------------------- processes

def on_tmpfs(path):
    """Whether path is the mount point of a tmpfs (/proc/self/mounts)."""
    try:
        with open("/proc/self/mounts") as f:
            return any(l.split()[1] == path and l.split()[2] == "tmpfs" for l in f)
    except OSError:
        return False


def spawn(argv, errfile, timeout=TIMEOUT):
    """Run argv (absolute path) with stdin/stdout on /dev/null and stderr into
    errfile. Returns (wall_ms, cpu_ms, maxrss_kib); raises Failed on failure."""
    fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
          (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
          (os.POSIX_SPAWN_OPEN, 2, errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    INFLIGHT.add(pid)
    fd = os.pidfd_open(pid)
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(timeout * 1000):
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            raise Failed(f"timed out after {timeout:.0f}s: {' '.join(argv)}")
        _, status, ru = os.wait4(pid, 0)
        INFLIGHT.discard(pid)
    finally:
        os.close(fd)
    wall = (time.perf_counter() - t0) * 1000
    if status != 0:
        code = os.waitstatus_to_exitcode(status)
        with open(errfile, errors="replace") as f:
            err = " ".join(f.read().split())[-300:]
        raise Failed(f"exit {code}: {' '.join(os.path.basename(a) for a in argv[:6])} ...: {err}")
    return wall, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss


def wait_exit(pid, timeout=TIMEOUT):
    """Wait until pid has exited (pidfd works whoever its parent is); reap it if ours."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(timeout * 1000):
            raise Failed(f"container PID 1 ({pid}) still running after {timeout:.0f}s")
    finally:
        os.close(fd)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # not our child (e.g. the runtime's own supervisor reaps it)


def reap_strays():
    """We are a child subreaper: reap orphans (e.g. exited container inits)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------- cgroups

def own_cgroup():
    """This process's cgroup: the v2 path on a pure v2 host, else a v1 one."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            paths[ctrls] = path
    if list(paths) == [""]:
        return paths[""]
    for key in ("memory", "pids", "cpu,cpuacct", "cpu"):
        if paths.get(key, "/") != "/":
            return paths[key]
    return next((p for k, p in paths.items() if k and not k.startswith("name=") and p != "/"), "/")


def cgroup_mounts():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] in ("cgroup", "cgroup2"):
                out.append(left.split()[4])
    return out


class CgroupTracker:
    """Remembers which directories of BASE (and its parents) did not exist in
    each cgroup hierarchy, so cleanup removes exactly what the runtimes made."""

    def __init__(self, base):
        self.base = base
        self.missing = {}
        for m in cgroup_mounts():
            new, d = [], base
            while d not in ("", "/") and not os.path.isdir(m + d):
                new.append(m + d)
                d = os.path.dirname(d)
            self.missing[m] = new  # deepest first

    def cleanup(self):
        left = []
        for m, new in self.missing.items():
            top = m + self.base
            if os.path.isdir(top):
                for d, _, _ in os.walk(top, topdown=False):
                    try:
                        os.rmdir(d)
                    except OSError as e:
                        left.append(f"{d}: {e.strerror}")
            for d in new:
                try:
                    os.rmdir(d)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    left.append(f"{d}: {e.strerror}")
        return left


# ---------------------------------------------------------------- set-up

def make_wrapper(tmp):
    """Wrapper used for every runtime: `wrapper RUNTIME ARGS...`."""
    path = os.path.join(tmp, "wrap")
    if os.path.exists(UNIFIED_CONTROLLERS):
        empty = "/var/tmp/empty"
        if not os.path.exists(empty):
            os.makedirs("/var/tmp", exist_ok=True)
            open(empty, "w").close()
        if os.path.getsize(empty) != 0:
            empty = os.path.join(tmp, "empty")
            open(empty, "w").close()
        body = ("exec unshare -m --propagation private /bin/sh -c "
                f"'mount --bind {empty} {UNIFIED_CONTROLLERS} && exec \"$0\" \"$@\"' \"$@\"\n")
        note = ("every runtime runs in a private mount ns with an empty cgroup2 controller list (hybrid host);"
                " column 'wrapper' is that wrapper alone running /bin/true, included in every runtime's figures")
    else:
        body = 'exec "$@"\n'
        note = "no hybrid cgroups: wrapper is a plain exec"
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path, note


def write_bundle(tmp, name, base_cfg, args, cgroups_path):
    d = os.path.join(tmp, "bundles", name)
    os.makedirs(d, exist_ok=True)
    cfg = json.loads(json.dumps(base_cfg))
    cfg["process"]["args"] = args
    if cgroups_path:
        cfg["linux"]["cgroupsPath"] = cgroups_path
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    return d


class Runtime:
    def __init__(self, name, path, ctx, cfg=None, label=None):
        self.name, self.path, self.ctx = name, path, ctx
        self.cfg = cfg if cfg is not None else ctx.cfg  # the bundle's config.json
        self.label = label or name
        self.state = os.path.join(ctx.state_tmp, "state-" + name)
        self.err = os.path.join(ctx.tmp, "stderr-" + name)
        self.notes, self.samples, self.disabled = [], {}, {}
        self.version = "missing"
        self.bundles = {}
        self.seq = 0

    def cmd(self, *args):
        return [self.ctx.wrapper, self.path, "--root", self.state, *args]

    def new_id(self, tag):
        self.seq += 1
        return f"hb{os.getpid()}-{self.name}-{tag}{self.seq}"

    def bundle(self, kind, cgroups):
        cg = f"{self.ctx.cg_base}/{self.name}-{kind}" if cgroups else None
        args = ["/bin/true"] if kind == "true" else ["/bin/sleep", "1000"]
        return write_bundle(self.ctx.tmp, f"{self.name}-{kind}", self.cfg, args, cg)

    def setup(self):
        """Version, then a probe `run`: with cgroupsPath, else without it."""
        if not (self.path and os.access(self.path, os.X_OK)):
            self.notes.append(f"not found: {self.path or '(none)'}")
            return False
        os.makedirs(self.state, exist_ok=True)
        r = subprocess.run([self.path, "--version"], capture_output=True, text=True)
        self.version = (r.stdout or r.stderr).splitlines()[0] if (r.stdout or r.stderr) else "?"
        first = None
        for cgroups in (True, False):
            self.bundles = {k: self.bundle(k, cgroups) for k in ("true", "sleep")}
            try:
                spawn(self.cmd("run", "--bundle", self.bundles["true"], self.new_id("probe")), self.err)
                if not cgroups:
                    self.notes.append(f"refused a config with cgroupsPath ({first}); measured without it")
                return True
            except Failed as e:
                first = first or e
        self.notes.append(f"run fails: {first}")
        return False

    def measure(self, metric, fn):
        """Call fn() -> {submetric: value}; on failure disable the metric (n/a)."""
        if metric in self.disabled:
            return
        try:
            for k, v in fn().items():
                self.samples.setdefault(k, []).append(v)
        except Failed as e:
            self.disabled[metric] = str(e)
            self.notes.append(f"{metric}: n/a ({e})")
        finally:
            reap_strays()


# ---------------------------------------------------------------- measurements

def m_run(rt):
    wall, cpu, _ = spawn(rt.cmd("run", "--bundle", rt.bundles["true"], rt.new_id("run")), rt.err)
    return {"run wall": wall, "run CPU": cpu}


def m_split(rt):
    cid, pidfile = rt.new_id("split"), os.path.join(rt.ctx.tmp, f"pid-{rt.name}")
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    try:
        create, _, _ = spawn(rt.cmd("create", "--bundle", rt.bundles["true"], "--pid-file", pidfile, cid), rt.err)
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError) as e:
            raise Failed(f"create wrote no usable --pid-file: {e}")
        start, _, _ = spawn(rt.cmd("start", cid), rt.err)
        t0 = time.perf_counter()
        wait_exit(pid)
        wait = (time.perf_counter() - t0) * 1000
        delete, _, _ = spawn(rt.cmd("delete", cid), rt.err)
    except Failed:
        force_delete(rt, cid)
        raise
    return {"create": create, "start": start, "wait": wait, "delete": delete,
            "create+start+wait+delete": create + start + wait + delete}


def m_exec(rt, cid):
    wall, _, _ = spawn(rt.cmd("exec", cid, "/bin/true"), rt.err)
    return {"exec": wall}


def m_state(rt, cid):
    wall, _, _ = spawn(rt.cmd("state", cid), rt.err)
    return {"state": wall}


def m_rss(rt):
    out = os.path.join(rt.ctx.tmp, "rss")
    spawn([rt.ctx.time_bin, "-f", "%M", "-o", out,
           *rt.cmd("run", "--bundle", rt.bundles["true"], rt.new_id("rss"))], rt.err)
    with open(out) as f:
        return {"peak RSS (MiB)": int(f.read().split()[-1]) / 1024}


def force_delete(rt, cid):
    try:
        spawn(rt.cmd("delete", "--force", cid), rt.err)
    except Failed:
        pass


def start_sleeper(rt):
    cid = rt.new_id("sleep")
    try:
        spawn(rt.cmd("run", "-d", "--bundle", rt.bundles["sleep"], cid), rt.err)
    except Failed as e:
        force_delete(rt, cid)
        for m in ("exec", "state"):
            rt.disabled[m] = f"could not start a `sleep` container: {e}"
            rt.notes.append(f"{m}: n/a (run -d failed: {e})")
        return None
    return cid


# ---------------------------------------------------------------- main

def cleanup(ctx, runtimes):
    for pid in list(INFLIGHT):  # let an interrupted runtime command finish first
        try:
            wait_exit(pid, timeout=10)
        except Failed:
            os.kill(pid, signal.SIGKILL)
            wait_exit(pid)
    for rt in runtimes:
        if not os.path.isdir(rt.state):
            continue
        try:
            ids = subprocess.run(rt.cmd("list", "-q"), capture_output=True, text=True, timeout=TIMEOUT).stdout.split()
        except (OSError, subprocess.SubprocessError):
            ids = []
        for cid in ids:
            force_delete(rt, cid)
    reap_strays()
    left = ctx.cg.cleanup() if ctx.cg else []
    for l in left:
        print(f"warning: cgroup left behind: {l}", file=sys.stderr)
    shutil.rmtree(ctx.tmp, ignore_errors=True)
    if ctx.state_tmp != ctx.tmp:
        shutil.rmtree(ctx.state_tmp, ignore_errors=True)


def fmt(v):
    return "n/a" if v is None else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", "-n", type=int, default=30)
    ap.add_argument("--rss-iterations", type=int, default=5, help="iterations of the /usr/bin/time pass")
    ap.add_argument("--husk", default=os.path.join(REPO, "bin", "husk"))
    ap.add_argument("--crun", default=shutil.which("crun") or "")
    ap.add_argument("--runc", default=shutil.which("runc") or "")
    ap.add_argument("--bwrap", default=shutil.which("bwrap") or "", help="bubblewrap, for the sandbox rows")
    ap.add_argument("--busybox-script", default=os.path.join(REPO, "rootfs-examples", "busybox", "build.sh"))
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    ap.add_argument("--no-seccomp-row", action="store_true",
                    help="leave out husk with the default seccomp profile (column husk+seccomp)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: error: run as root (containers need it)")

    # Our own children and re-parented container inits come back to us.
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        sys.exit("bench: error: prctl(PR_SET_CHILD_SUBREAPER) failed")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    ctx = argparse.Namespace(tmp=tempfile.mkdtemp(prefix="husk-bench-"), cg=None)
    ctx.abs_tmp = os.path.realpath(ctx.tmp)
    ctx.state_tmp = tempfile.mkdtemp(prefix="husk-bench-state-", dir="/run") if on_tmpfs("/run") else ctx.tmp
    runtimes = []
    log = (lambda *x: print(*x, file=sys.stderr)) if a.json else print
    try:
        bundle = os.path.join(ctx.tmp, "busybox")
        subprocess.run([a.busybox_script, bundle, '["/bin/true"]'], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(bundle, "config.json")) as f:
            ctx.cfg = json.load(f)
        ctx.cfg["ociVersion"] = "1.1.0"  # crun 1.8.1 rejects 1.2.0; the fields used are the same
        ctx.cfg["root"]["path"] = os.path.join(ctx.abs_tmp, "busybox", "rootfs")
        ctx.cg_base = f"{own_cgroup().rstrip('/')}/husk-bench-{os.getpid()}"
        ctx.cg = CgroupTracker(ctx.cg_base)
        ctx.wrapper, wrap_note = make_wrapper(ctx.tmp)
        ctx.time_bin = shutil.which("time", path="/usr/bin:/bin")

        runtimes = [Runtime(n, p, ctx) for n, p in zip(NAMES, (a.husk, a.crun, a.runc))]
        if not a.no_seccomp_row:
            ctx.cfg_seccomp = json.loads(json.dumps(ctx.cfg))
            ctx.cfg_seccomp["linux"]["seccomp"] = default_seccomp_profile(a.husk, ctx.tmp)
            runtimes.insert(1, Runtime("husksc", a.husk, ctx, cfg=ctx.cfg_seccomp, label="husk+seccomp"))
        active = [rt for rt in runtimes if rt.setup()]
        for rt in runtimes:
            log(f"{rt.label:5} {rt.version}" + "".join(f"\n      note: {n}" for n in rt.notes))
        if not active:
            sys.exit("bench: error: no runtime could run the bundle")
        wrap = argparse.Namespace(name="wrapper alone", samples={})
        err = os.path.join(ctx.tmp, "stderr-wrap")
        n = a.iterations

        # First, on a filesystem that carries only its own churn (see measure_sandbox).
        sbx = measure_sandbox(a, ctx, os.path.join(ctx.abs_tmp, "busybox", "rootfs"), log)

        def rotated(i):
            """Round i's order, shuffled with seed i: no runtime always follows the same other
            one (each pays for what its predecessor left the kernel to finish), repeatably."""
            order = list(active)
            random.Random(i).shuffle(order)
            return order

        log(f"run: {n} iterations, interleaved ...")
        for i in range(n):
            for rt in rotated(i):
                rt.measure("run", lambda: m_run(rt))
            w, c, _ = spawn([ctx.wrapper, "/bin/true"], err)
            wrap.samples.setdefault("run wall", []).append(w)
            wrap.samples.setdefault("run CPU", []).append(c)

        log(f"create/start/wait/delete: {n} iterations ...")
        for i in range(n):
            for rt in rotated(i):
                rt.measure("split", lambda: m_split(rt))

        log(f"exec, state: {n} iterations ...")
        sleepers = {rt.name: start_sleeper(rt) for rt in active}
        for i in range(n):
            for rt in rotated(i):
                rt.measure("exec", lambda: m_exec(rt, sleepers[rt.name]))
            for rt in rotated(i):
                rt.measure("state", lambda: m_state(rt, sleepers[rt.name]))
        for rt in active:
            if sleepers[rt.name]:
                force_delete(rt, sleepers[rt.name])
        reap_strays()

        if ctx.time_bin:
            log(f"peak RSS: {a.rss_iterations} iterations with {ctx.time_bin} -f %M ...")
            for i in range(a.rss_iterations):
                for rt in rotated(i):
                    rt.measure("rss", lambda: m_rss(rt))
        else:
            for rt in active:
                rt.notes.append("peak RSS: n/a (/usr/bin/time missing: apt-get install time)")

        report(a, runtimes, wrap, [wrap_note], log, sbx)
    except KeyboardInterrupt:
        print("\nbench: interrupted, cleaning up ...", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup(ctx, runtimes)
    return 0


def measure_sandbox(a, ctx, rootfs, log):
    """Median wall and CPU ms of `husk sandbox -- /bin/true` and of bwrap with the same
    namespaces, interleaved; {name: {"wall": ms, "cpu": ms}} plus notes.

    Measured before the runtime rows, with husk's default --root and --tmp-dir, as users run
    it (and away from the directories the other rows fill and empty). Each husk sandbox creates and removes about a dozen
    inodes on disk (its dir, overlay upper/work dirs, owner.json, the container's state), bwrap
    none. On an ext4 without a journal (this project's VMs) every inode allocation skips, one
    inode-table lookup each, all inodes of its group freed in the last 30 s (recently_deleted):
    right after the runtime rows' thousands of files, a sandbox paid ~9 ms of that per run
    (perf), its own steady churn ~0.4 ms."""
    out, notes = {}, []
    err = os.path.join(ctx.tmp, "stderr-sandbox")
    # As a user runs it: the default state root and sandbox dir (each sandbox removes its own).
    cmds = {"husk sandbox": [a.husk, "sandbox", "--rootfs", rootfs, "--", "/bin/true"]}
    if a.bwrap:
        cmds["bwrap"] = [a.bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", rootfs, "/",
                         "--proc", "/proc", "--dev", "/dev", "/bin/true"]
    else:
        notes.append("bwrap not found (apt-get install bubblewrap): no sandbox ratio")
    samples = {k: {"wall": [], "cpu": []} for k in cmds}
    log(f"sandbox: {a.iterations} iterations, interleaved ...")
    for argv in cmds.values():  # warm-up: husk's first run compiles and caches the seccomp filter
        try:
            spawn(argv, err)
        except Failed:
            pass
    order = list(cmds.items())
    for i in range(a.iterations):
        k0 = i % len(order)
        for k, argv in order[k0:] + order[:k0]:
            try:
                w, c, _ = spawn(argv, err)
                samples[k]["wall"].append(w)
                samples[k]["cpu"].append(c)
            except Failed as e:
                notes.append(f"{k}: {e}")
                del cmds[k]
    for k, v in samples.items():
        out[k] = {m: (statistics.median(x) if x else None) for m, x in v.items()}
    return {"median": out, "notes": notes}


METRICS = ["run wall", "run CPU", "create", "start", "wait", "delete", "create+start+wait+delete",
           "exec", "state", "peak RSS (MiB)"]


def default_seccomp_profile(husk, tmp):
    """linux.seccomp of `husk spec` (the default profile for runc spec's capabilities)."""
    d = os.path.join(tmp, "spec")
    os.makedirs(d, exist_ok=True)
    subprocess.run([husk, "spec", "--bundle", d], check=True)
    with open(os.path.join(d, "config.json")) as f:
        return json.load(f)["linux"]["seccomp"]


def report(a, runtimes, wrap, notes, log, sbx=None):
    med = {rt.label: {m: (statistics.median(v) if v else None) for m, v in rt.samples.items()} for rt in runtimes}
    med["wrapper alone"] = {m: statistics.median(v) for m, v in wrap.samples.items()}
    husk = med["husk"]

    def ratio(other, m, base=None):
        h, o = (base or husk).get(m), med.get(other, {}).get(m)
        return h / o if h and o else None

    if a.json:
        out = {"iterations": a.iterations, "notes": notes,
               "runtimes": {rt.label: {"path": rt.path, "version": rt.version, "notes": rt.notes,
                                      "median": med[rt.label], "samples": {m: len(v) for m, v in rt.samples.items()}}
                            for rt in runtimes},
               "wrapper_alone_median": med["wrapper alone"],
               "ratios": {f"husk/{o}": {m: ratio(o, m) for m in METRICS} for o in ("crun", "runc")},
               "sandbox": sbx}
        if "husk+seccomp" in med:
            out["ratios"]["husk+seccomp/husk"] = {m: ratio("husk", m, med["husk+seccomp"]) for m in METRICS}
        print(json.dumps(out, indent=2))
        return
    print(f"\nmedians of {a.iterations} interleaved iterations, ms (RSS: MiB, {a.rss_iterations} iterations)")
    sc = "husk+seccomp" in med
    cols = ["husk"] + (["husk+seccomp"] if sc else []) + ["crun", "runc", "wrapper alone"]
    print(f"{'':26}" + "".join(f"{c:>{14 if c == 'husk+seccomp' else 10}}" for c in cols[:-1]) + f"{'wrapper':>10}"
          + f"{'husk/crun':>11}{'husk/runc':>11}" + (f"{'seccomp cost':>14}" if sc else ""))
    for m in METRICS:
        r1, r2 = ratio("crun", m), ratio("runc", m)
        r3 = ratio("husk", m, med["husk+seccomp"]) if sc else None
        print(f"{m:26}" + "".join(f"{fmt(med[c].get(m)):>{14 if c == 'husk+seccomp' else 10}}" for c in cols)
              + f"{(f'{r1:.2f}x' if r1 else 'n/a'):>11}{(f'{r2:.2f}x' if r2 else 'n/a'):>11}"
              + (f"{(f'{r3:.2f}x' if r3 else 'n/a'):>14}" if sc else ""))
    if sbx:
        h, b = sbx["median"].get("husk sandbox", {}), sbx["median"].get("bwrap", {})
        print(f"\n{'sandbox -- /bin/true':26}{'husk':>10}{'bwrap':>10}{'husk/bwrap':>12}")
        for m in ("wall", "cpu"):
            r = h.get(m) / b[m] if h.get(m) and b.get(m) else None
            print(f"{'  ' + m:26}{fmt(h.get(m)):>10}{fmt(b.get(m)):>10}{(f'{r:.2f}x' if r else 'n/a'):>12}")
        for n in sbx["notes"]:
            print(f"note: sandbox: {n}")
    for n in notes:
        print(f"note: {n}")
    for rt in runtimes:
        for n in rt.notes:
            print(f"note: {rt.label}: {n}")


if __name__ == "__main__":
    sys.exit(main())
