import Foundation
import HealthCore

#if canImport(Glibc)
import Glibc
#endif

/// How a restricted pod (or a hardened service) runs its process, reproduced with
/// `unshare` and `setpriv` (deploy-harness.md, recipe D): the user and groups, no
/// capability at all (bounding, ambient and inheritable sets), `no_new_privs`, a PID
/// namespace of its own, and a root file system that is an overlay of this machine's
/// (the "image"), read-only when `readOnlyRoot`, with volumes bound at their paths.
///
/// Not reproduced: seccomp, and the network (the process shares this machine's, as with
/// `hostNetwork: true`).
struct RestrictedContext: Sendable {
    /// A folder of this machine bound at `target` in the process's root.
    struct Mount: Sendable {
        var source: String
        var target: String
        var readOnly: Bool = true
    }

    var user: UInt32 = 65534
    var group: UInt32 = 65534
    var supplementaryGroups: [UInt32] = []
    var dropAllCapabilities = true
    var noNewPrivileges = true
    var readOnlyRoot = true
    var ownPIDNamespace = true
    var mounts: [Mount] = []
    /// Writable tmpfs folders (emptyDir) at these paths.
    var emptyDirs: [String] = []
    /// Files written into the root before it turns read-only (path in the root → text),
    /// e.g. the kubelet-managed /etc/hosts.
    var files: [String: String] = [:]
    /// The environment the process gets (nothing else is inherited).
    var environment: [String: String] = [:]
}

enum RestrictedLaunch {
    /// Root, and the util-linux tools the launch uses.
    static var isAvailable: Bool {
        geteuid() == 0
            && ["/usr/bin/unshare", "/usr/bin/setpriv", "/usr/sbin/chroot", "/usr/bin/env"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: $0)
            }
    }

    /// The command line (`/usr/bin/unshare` and its arguments) that runs `program` in
    /// `context`. `staging` is an empty folder for the overlay's upper layer.
    static func commandLine(_ context: RestrictedContext, staging: String, program: [String]) -> [String] {
        let root = "\(staging)/root"
        var script = [
            "set -e", "S=\(quote(staging))",
            "mount -t tmpfs -o mode=0700 tmpfs \"$S\"", "mkdir \"$S/up\" \"$S/work\" \"$S/root\"",
            // This machine's root file system is the image: writes land in the tmpfs.
            "mount -t overlay overlay -o lowerdir=/,upperdir=\"$S/up\",workdir=\"$S/work\" \"$S/root\"",
            "for d in proc dev sys; do mount --rbind /$d \"$S/root/$d\"; done",
        ]
        for (path, text) in context.files.sorted(by: { $0.key < $1.key }) {
            let target = root + resolved(path)
            script.append("mkdir -p \(quote((target as NSString).deletingLastPathComponent))")
            script.append("printf '%s' \(quote(text)) > \(quote(target))")
        }
        for mount in context.mounts {
            let target = root + resolved(mount.target)
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: mount.source, isDirectory: &isFolder)
            if isFolder.boolValue {
                script.append("mkdir -p \(quote(target))")
            } else {
                script.append("mkdir -p \(quote((target as NSString).deletingLastPathComponent)) && touch \(quote(target))")
            }
            script.append("mount --bind \(quote(mount.source)) \(quote(target))")
            if mount.readOnly { script.append("mount -o remount,ro,bind \(quote(target))") }
        }
        for path in context.emptyDirs {
            let target = root + resolved(path)
            script.append("mkdir -p \(quote(target)) && mount -t tmpfs -o mode=1777,size=16m tmpfs \(quote(target))")
        }
        if context.readOnlyRoot { script.append("mount -o remount,ro \"$S/root\"") }
        // The parent-death signal survives setpriv's exec (it is set after the uid change),
        // so killing unshare takes the workload with it.
        let command =
            ["exec", "chroot", "\"$S/root\""] + (userAndPrivileges(context) + ["--pdeathsig=KILL"]).map(quote)
            + environmentAndProgram(context, program).map(quote)
        script.append(command.joined(separator: " "))
        var arguments = ["/usr/bin/unshare"]
        if context.ownPIDNamespace { arguments += ["--pid", "--fork", "--kill-child", "--mount-proc"] }
        arguments += ["--mount", "--propagation", "private", "/bin/sh", "-c", script.joined(separator: "\n")]
        return arguments
    }

    /// `setpriv` and its options for the context's user, groups, capabilities and
    /// `no_new_privs` (an exec probe enters a running container with the same).
    static func userAndPrivileges(_ context: RestrictedContext) -> [String] {
        var setpriv = ["setpriv", "--reuid=\(context.user)", "--regid=\(context.group)"]
        setpriv.append(
            context.supplementaryGroups.isEmpty
                ? "--clear-groups" : "--groups=\(context.supplementaryGroups.map(String.init).joined(separator: ","))")
        if context.dropAllCapabilities { setpriv += ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"] }
        if context.noNewPrivileges { setpriv.append("--no-new-privs") }
        return setpriv
    }

    /// `env -i`, the context's environment and `program`.
    static func environmentAndProgram(_ context: RestrictedContext, _ program: [String]) -> [String] {
        ["/usr/bin/env", "-i"] + context.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + program
    }

    /// `path` with every symbolic link of this machine's root resolved (`/var/run/x` is
    /// `/run/x` here): a mount point made through an absolute link would land outside
    /// the process's root.
    static func resolved(_ path: String) -> String {
        var done: [String] = []
        var pending = path.split(separator: "/").map(String.init)
        var hops = 0
        while !pending.isEmpty, hops < 40 {
            let next = pending.removeFirst()
            if next == "." || next.isEmpty { continue }
            if next == ".." {
                _ = done.popLast()
                continue
            }
            let candidate = "/" + (done + [next]).joined(separator: "/")
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) {
                hops += 1
                if link.hasPrefix("/") { done = [] }
                pending = link.split(separator: "/").map(String.init) + pending
            } else {
                done.append(next)
            }
        }
        return "/" + done.joined(separator: "/")
    }

    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// A process started through ``RestrictedLaunch``, its output in a file, stopped with
/// SIGKILL (to the workload and to unshare) when released. Spawned as ``ServerProcess``
/// spawns (no inherited descriptor, default signals) and reaped by PID.
final class RestrictedProcess: @unchecked Sendable {
    /// The `unshare` process.
    let pid: pid_t
    let logFile: String
    let context: RestrictedContext
    private let lock = NSLock()
    private var exitStatus: Int32?

    init(_ context: RestrictedContext, program: [String], label: String = "restricted") throws {
        self.context = context
        let folder = TestPaths.temporaryDirectory(label)
        let staging = folder + "/pod"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        logFile = folder + "/output.log"
        let arguments = RestrictedLaunch.commandLine(context, staging: staging, program: program)
        pid = try spawnDetached(arguments, output: logFile)
    }

    deinit {
        if let workload = workloadPID { kill(workload, SIGKILL) }
        kill(pid, SIGKILL)
        _ = reap(blocking: true)
    }

    /// Everything the process wrote so far.
    var output: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// The workload's PID as this machine sees it: unshare's child in a PID namespace of
    /// its own, unshare itself (after its execs) otherwise.
    var workloadPID: pid_t? {
        guard context.ownPIDNamespace else { return pid }
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { pid_t($0) }.first
    }

    /// The workload's PID once it runs `executable` (after the shell, chroot and setpriv
    /// have exec'd into it), within `limit`.
    func waitForWorkload(executing executable: String, within limit: Duration = .seconds(5)) async -> pid_t? {
        // `.some(nil)` ends the wait early: the launch exited without running it.
        let found = await poll(timeout: limit) { () -> pid_t?? in
            if let workload = workloadPID,
                let image = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(workload)/exe"),
                image.hasSuffix((executable as NSString).lastPathComponent)
            {
                return .some(workload)
            }
            return hasExited ? .some(nil) : nil
        }
        return found ?? nil
    }

    var hasExited: Bool { reap(blocking: false) != nil }

    /// The exit status (signals as 128 + the number) within `limit`, or nil.
    func waitForExit(within limit: Duration) async -> Int32? {
        await poll(timeout: limit) { reap(blocking: false) }
    }

    private func reap(blocking: Bool) -> Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while result == -1 && errno == EINTR
            guard result == pid else { return nil }
            let signal = status & 0x7f
            exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            return exitStatus
        }
    }
}

/// Processes in the PID namespace of `member` (as this machine sees them), with their
/// state letter (`Z` for a zombie), command name and parent (PIDs as this machine sees them).
func pidNamespaceMembers(of member: pid_t) -> [(pid: pid_t, state: Character, name: String, parent: pid_t)] {
    guard let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(member)/ns/pid") else {
        return []
    }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(pid_t.init).compactMap { pid in
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid")) == namespace,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
        else { return nil }
        let name = String(stat[stat.index(after: open)..<close])
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let state = fields.first?.first ?? "?"
        let parent = fields.count > 1 ? pid_t(fields[1]) ?? 0 : 0
        return (pid, state, name, parent)
    }
}

/// One kubelet-style HTTP probe: `GET path` on 127.0.0.1:`port`, success for a status
/// from 200 to 399 within `timeout` seconds (connect, send and the whole answer).
func httpProbe(port: Int, path: String, timeout: Double) async -> (passed: Bool, detail: String) {
    let started = ContinuousClock.now
    do {
        let exchange = try await RawHTTPClient.exchange(
            port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: kube-probe/1.37\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            timeout: timeout)
        let elapsed = ContinuousClock.now - started
        let head = String(decoding: exchange.data.prefix(64), as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        guard exchange.closedByServer, elapsed < .seconds(timeout) else {
            return (false, "no complete answer within \(timeout) s (\(head))")
        }
        return ((200..<400).contains(status), "\(status) in \(elapsed)")
    } catch {
        return (false, "\(error)")
    }
}
