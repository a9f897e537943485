/// The one place the version lives; `opine --version`, `opined --version` and (later) the webhook user agent read it.
public enum Opine {
    public static let version = "0.1.0"
}
