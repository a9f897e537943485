/// The tags the reader copies out of a data set: a closed set, so nothing else is ever decoded or kept.
enum DicomDecodedTag: DicomTagNumber, CaseIterable {
    case mediaStorageSOPClass = 0x0002_0002
    case transferSyntax = 0x0002_0010
    case specificCharacterSet = 0x0008_0005
    case imageType = 0x0008_0008
    case sopClassUID = 0x0008_0016
    case studyDate = 0x0008_0020
    case modality = 0x0008_0060
    case manufacturer = 0x0008_0070
    case institutionName = 0x0008_0080
    case studyDescription = 0x0008_1030
    case seriesDescription = 0x0008_103E
    case manufacturerModelName = 0x0008_1090
    case patientName = 0x0010_0010
    case patientID = 0x0010_0020
    case patientBirthDate = 0x0010_0030
    case bodyPartExamined = 0x0018_0015
    case sliceThickness = 0x0018_0050
    case magneticFieldStrength = 0x0018_0087
    case protocolName = 0x0018_1030
    case studyInstanceUID = 0x0020_000D
    case seriesInstanceUID = 0x0020_000E
    case seriesNumber = 0x0020_0011
    case imageOrientationPatient = 0x0020_0037
}

/// How text values' bytes become characters, from (0008,0005) Specific Character Set.
enum DicomCharacterSet: Equatable {
    /// ISO_IR 192.
    case utf8
    /// ISO_IR 100, the default repertoire (ASCII, a subset) and, best effort, every other set: Latin-1 never fails,
    /// and the ASCII letters that names and descriptions mostly use come out right in any ISO 2022 set.
    case latin1

    /// The set a (0008,0005) value names; it may list several (`\ISO 2022 IR 100`), UTF-8 wins if any is it.
    init(specificCharacterSet raw: [UInt8]?) {
        let names = raw.map { DicomText.latin1($0).split(separator: "\\").map { DicomText.trimmed(String($0)) } } ?? []
        self = names.contains("ISO_IR 192") ? .utf8 : .latin1
    }

    func decode(_ bytes: [UInt8]) -> String {
        switch self {
        case .utf8: String(decoding: bytes, as: UTF8.self)
        case .latin1: DicomText.latin1(bytes)
        }
    }
}

/// Turning stored values into Swift values: padding stripped, numbers parsed, multi-values split.
enum DicomText {
    static func latin1(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    /// Without the trailing spaces and NULs DICOM pads values to an even length with.
    static func withoutPadding(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last == " " || last == "\0" { text.removeLast() }
        return String(text)
    }

    /// Without leading and trailing padding: for code strings, numbers, dates and UIDs, where spaces mean nothing.
    static func trimmed(_ text: String) -> String {
        var text = Substring(withoutPadding(text))
        while let first = text.first, first == " " { text.removeFirst() }
        return String(text)
    }

    static func values(_ text: String) -> [String] {
        text.split(separator: "\\", omittingEmptySubsequences: false).map { trimmed(String($0)) }
    }

    static func decimal(_ text: String) -> Double? {
        Double(trimmed(text)).flatMap { $0.isFinite ? $0 : nil }
    }

    /// The first value of the alphabetic group, split at `^` into at most five components.
    static func personName(_ text: String) -> DicomPersonName? {
        let first = text.split(separator: "\\", omittingEmptySubsequences: false).first ?? ""
        let alphabetic = first.split(separator: "=", omittingEmptySubsequences: false).first ?? ""
        var parts = alphabetic.split(separator: "^", omittingEmptySubsequences: false).map { trimmed(String($0)) }
        guard parts.contains(where: { !$0.isEmpty }) || first.contains("=") else { return nil }
        while parts.count < 5 { parts.append("") }
        return DicomPersonName(family: parts[0], given: parts[1], middle: parts[2], prefix: parts[3], suffix: parts[4])
    }
}

extension DicomHeader {
    /// The header from the raw values the walker copied, text decoded with the file's character set.
    init(values: [DicomTagNumber: [UInt8]]) {
        self.init()
        let characterSet = DicomCharacterSet(specificCharacterSet: values[DicomDecodedTag.specificCharacterSet.rawValue])
        func text(_ tag: DicomDecodedTag) -> String? {
            values[tag.rawValue].map { DicomText.withoutPadding(characterSet.decode($0)) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        func code(_ tag: DicomDecodedTag) -> String? { text(tag).map(DicomText.trimmed).flatMap { $0.isEmpty ? nil : $0 } }
        transferSyntax = code(.transferSyntax)
        mediaStorageSOPClass = code(.mediaStorageSOPClass)
        sopClassUID = code(.sopClassUID)
        patientName = text(.patientName).flatMap(DicomText.personName)
        patientBirthDate = code(.patientBirthDate)
        patientID = text(.patientID)
        studyInstanceUID = code(.studyInstanceUID)
        studyDate = code(.studyDate)
        studyDescription = text(.studyDescription)
        modality = code(.modality)
        institutionName = text(.institutionName)
        manufacturer = text(.manufacturer)
        manufacturerModelName = text(.manufacturerModelName)
        magneticFieldStrength = text(.magneticFieldStrength).flatMap(DicomText.decimal)
        seriesInstanceUID = code(.seriesInstanceUID)
        seriesNumber = code(.seriesNumber).flatMap { Int($0) }
        seriesDescription = text(.seriesDescription)
        bodyPartExamined = code(.bodyPartExamined)
        protocolName = text(.protocolName)
        imageOrientationPatient = text(.imageOrientationPatient).flatMap { text in
            let numbers = DicomText.values(text).compactMap(DicomText.decimal)
            return numbers.count == 6 ? numbers : nil
        }
        sliceThickness = text(.sliceThickness).flatMap(DicomText.decimal)
        imageType = text(.imageType).map(DicomText.values) ?? []
    }
}
