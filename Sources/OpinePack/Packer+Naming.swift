#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import OpineCore
import Synchronization

extension Packer {
    /// Gives the finished bundle its name in one step, never over anything that appeared there meanwhile: a zip by a
    /// hard link (which refuses an existing name) and the removal of its hidden name; a directory, or a zip on a file
    /// system without hard links, by renameat2(2) with RENAME_NOREPLACE, which refuses an existing name, an empty
    /// directory included.
    static func giveName(_ temporary: String, as output: String) throws(PackError) {
        var named = false
        if output.lowercased().hasSuffix(".zip"), link(temporary, output) == 0 {
            // Named; a hidden name left behind would never be looked at by opined.
            _ = unlink(temporary)
            named = true
        } else if !output.lowercased().hasSuffix(".zip") || errno != EEXIST {
            named = renameat2(AT_FDCWD, temporary, AT_FDCWD, output, OPINE_RENAME_NOREPLACE) == 0
        }
        guard named else {
            let reason = errno == EEXIST || errno == ENOTEMPTY ? "it exists already" : String(cString: strerror(errno))
            throw PackError(.cannotCreate, "\(output.escapedForDisplay): cannot be named (\(reason)); name a new bundle, or check the folder's permissions")
        }
    }
}

/// The signal that ended a pack, set by the handler: an atomic store is all a signal handler may safely do.
private let caughtSignal = Atomic<Int32>(0)

/// SIGINT, SIGTERM and SIGHUP while a bundle is made: the handler only notes the signal, and the copy, which checks
/// between buffers, stops and removes its hidden copy (a pack of gigabytes left in the drop directory would never be
/// looked at, nor removed). The process's own handlers are put back when the pack ends.
final class Interruption {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private var previous: [Int32: sigaction] = [:]
    private var previousMask = sigset_t()

    /// Takes the signals until `restore`; when not `installing`, leaves them to the process and never reports one.
    init(installing: Bool = true) {
        guard installing else { return }
        caughtSignal.store(0, ordering: .relaxed)
        // A parent may have blocked them (a test runner, a supervisor): unblocked here, so they reach the handler.
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in Self.signals { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_UNBLOCK, &mask, &previousMask)
        for signal in Self.signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { caughtSignal.store($0, ordering: .relaxed) }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            if sigaction(signal, &action, &old) == 0 { previous[signal] = old }
        }
    }

    /// Throws `interrupted` once one of the signals has arrived.
    func check() throws(PackError) {
        guard !previous.isEmpty else { return }
        let signal = caughtSignal.load(ordering: .relaxed)
        guard signal != 0 else { return }
        throw PackError(.interrupted(signal), "interrupted by signal \(signal) before the bundle was named; nothing was made, and the hidden copy was removed")
    }

    /// Puts the handlers found at the start back.
    func restore() {
        guard !previous.isEmpty else { return }
        for (signal, old) in previous {
            var action = old
            sigaction(signal, &action, nil)
        }
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
    }
}
