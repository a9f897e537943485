/// What a submit sends: exactly the uploads the page lists (the files the patient picked this time), each complete;
/// the draft's other uploads (kept from an earlier pick, before a reload) are terminated, never sent.
public struct SubmitSelection: Sendable, Equatable {
    /// An upload of the draft as the decision needs it.
    public struct Upload: Sendable, Equatable {
        /// The upload's id.
        public var id: String
        /// Whether all its bytes arrived and no PATCH is writing it.
        public var complete: Bool

        /// An upload `id`, `complete` or not.
        public init(id: String, complete: Bool) {
            self.id = id
            self.complete = complete
        }
    }

    /// The uploads that go into the bundle.
    public var send: [String]
    /// The draft's uploads the page did not list: removed with their bytes.
    public var terminate: [String]

    /// A selection sending `send` and terminating `terminate`.
    public init(send: [String], terminate: [String]) {
        self.send = send
        self.terminate = terminate
    }

    /// The selection for `listed` (nil: the page listed none, so every upload of the draft) out of the draft's
    /// `uploads`; 409 naming how many listed files are missing or unfinished.
    public static func decide(listed: [String]?, uploads: [Upload]) -> Result<SubmitSelection, TusPolicy.Refusal> {
        var wanted: [String] = []
        for id in listed ?? uploads.map(\.id) where !wanted.contains(id) { wanted.append(id) }
        let byID = Dictionary(uploads.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let missing = wanted.filter { byID[$0] == nil }.count
        let unfinished = wanted.filter { byID[$0]?.complete == false }.count
        guard missing + unfinished == 0 else { return .failure(refusal(missing: missing, unfinished: unfinished)) }
        let keep = Set(wanted)
        return .success(SubmitSelection(send: wanted, terminate: uploads.map(\.id).filter { !keep.contains($0) }))
    }

    private static func refusal(missing: Int, unfinished: Int) -> TusPolicy.Refusal {
        let count = missing + unfinished
        if missing == 0 {
            let files = count == 1 ? "1 file has" : "\(count) files have"
            return TusPolicy.Refusal(409, "\(files) not finished uploading; wait until every file is sent, then send the request.")
        }
        let files = count == 1 ? "1 file is" : "\(count) files are"
        return TusPolicy.Refusal(409, "\(files) missing or unfinished on the service (an upload expired or was removed); press Send again and the page sends what is missing.")
    }
}
