import Hummingbird

/// Routes of the upload service (to be written).
struct DraftRoutes: Sendable {
    let parts: ServiceParts

    /// Adds this group's routes to `router`.
    func register(on router: Router<UploadRequestContext>) {}
}
