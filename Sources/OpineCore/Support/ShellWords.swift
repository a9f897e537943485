/// Words for a POSIX shell, in lines Opine prints to be pasted (such as `opine restore`'s `export` line), so that a
/// path with a space, a quote or a `$` stays one word and is taken literally.
public enum ShellWords {
    /// `word` in single quotes, each single quote inside it written as `'\''` (close, an escaped quote, reopen).
    public static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// `export NAME='value' …`, the variables in name order.
    public static func export(_ variables: [String: String]) -> String {
        "export " + variables.keys.sorted().map { $0 + "=" + quoted(variables[$0]!) }.joined(separator: " ")
    }
}
