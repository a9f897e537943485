#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension Intake {
    /// Creates the service's folders and repairs what a crash can leave behind, before the first upload is taken:
    /// staging leftovers are removed (their uploads are still in the drop directory), store folders with no committed
    /// case are set aside, and quarantine folders whose database record was lost are recorded from their reason.json.
    public func prepare() throws {
        for directory in [configuration.dropDirectory, configuration.rejectedDirectory, configuration.casesDirectory, configuration.stagingDirectory] {
            try FileOperations.makeDirectories(directory)
        }
        let staging = try FileOperations.openDirectory(configuration.stagingDirectory)
        let leftovers = try FileOperations.listDirectory(staging, display: configuration.stagingDirectory)
        close(staging)
        for (name, _) in leftovers {
            try FileOperations.removeTree(configuration.stagingDirectory + "/" + name)
        }
        if !leftovers.isEmpty {
            logger.notice("removed unfinished staging from an earlier run", metadata: ["count": "\(leftovers.count)"])
        }

        let cases = try FileOperations.openDirectory(configuration.casesDirectory)
        let folders = try FileOperations.listDirectory(cases, display: configuration.casesDirectory).map(\.0)
        close(cases)
        let committed = try store.caseIDs(in: folders)
        for folder in folders where !committed.contains(folder) {
            try setAside(configuration.casesDirectory + "/" + folder)
        }

        let rejected = try FileOperations.openDirectory(configuration.rejectedDirectory)
        let quarantines = try FileOperations.listDirectory(rejected, display: configuration.rejectedDirectory).map(\.0)
        close(rejected)
        let recorded = try store.recordedQuarantines()
        for folder in quarantines where !recorded.contains(folder) {
            let path = configuration.rejectedDirectory + "/" + folder
            let hasUpload = ["upload", "upload.zip", "upload.file"].contains { FileOperations.lstat(path + "/" + $0) != nil }
            guard hasUpload,
                  let data = FileManager.default.contents(atPath: path + "/" + QuarantineReason.fileName),
                  let reason = try? JSONDecoder().decode(QuarantineReason.self, from: data)
            else {
                // Made but never filled: the upload is still in the drop directory and will be judged again.
                try FileOperations.removeTree(path)
                continue
            }
            let id = try store.recordRejection(reason.record(quarantine: folder))
            logger.notice("recorded a rejection an earlier run could not", metadata: ["rejection": "\(id)", "reason": "\(reason.code)"])
        }
    }
}
