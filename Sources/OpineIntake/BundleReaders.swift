import OpineCore

/// An upload being read: a directory or a zip. Intake asks the same three things of both.
protocol BundleReader: AnyObject {
    /// Every file present, by bundle path, with its size; refuses unsafe names and anything but regular files.
    func inventory() throws -> [String: Int64]
    /// The manifest's bytes, at most `Manifest.maxBytes`.
    func manifestBytes() throws -> [UInt8]
    /// Streams one file's bytes into `sink`.
    func copy(_ path: String, size: Int64, into sink: StagedFile) throws
    /// `inventory`, going on past each refusal to report them all (`opine validate`).
    func collectInventory() throws -> (files: [String: Int64], problems: [(problem: BundleProblem, path: String?)])
}

extension BundleReader {
    /// A reader whose every refusal comes before its inventory (a zip's, found by `ZipInspector`) has none to add.
    func collectInventory() throws -> (files: [String: Int64], problems: [(problem: BundleProblem, path: String?)]) { (try inventory(), []) }
}

/// Intake reads in chunks of this size; one buffer per reader keeps memory flat whatever the file size.
let copyChunkBytes = 1 << 20
