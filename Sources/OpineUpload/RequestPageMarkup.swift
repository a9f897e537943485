import OpineCore

/// The markup the service makes for its pages from Core's tables: the checklists and the emergency box. Only words
/// from `PageWords` and `PatientStatusWords` go in, escaped all the same.
enum RequestPageMarkup {
    /// One checkbox per choice, each with its own `<label for>`; an emergency symptom is marked for the page's script.
    static func checkboxes(_ choices: [PageWords.Choice], name: String) -> String {
        choices.map { choice in
            let id = PageTemplate.escape("\(name)-\(choice.code)")
            let code = PageTemplate.escape(choice.code)
            let flag = choice.emergency ? " data-emergency=\"true\"" : ""
            let mark = choice.emergency ? " class=\"red-flag\"" : ""
            return "<li\(mark)><input type=\"checkbox\" id=\"\(id)\" name=\"\(name)\" value=\"\(code)\"\(flag)>"
                + " <label for=\"\(id)\">\(PageTemplate.escape(choice.words))</label></li>"
        }.joined(separator: "\n")
    }

    /// The prominent emergency advice, announced at once by screen readers.
    static func emergencyBox(_ words: String) -> String {
        "<div class=\"alert emergency\" role=\"alert\"><p><strong>\(PageTemplate.escape(words))</strong></p></div>"
    }
}
