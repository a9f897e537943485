/// The one place the version lives; `opine --version`, `opined --version` and the webhook user agent read it.
public enum Opine {
    /// The version of this build, as `MAJOR.MINOR.PATCH`.
    public static let version = "0.1.0"
}
