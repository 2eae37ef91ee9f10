/// "Did you mean" suggestions for misspelt field names.
enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a likely typo: at most one edit
    /// per three characters (at least one), ignoring case, where swapping two neighbours is one edit.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let target = Array(word.lowercased())
        let limit = max(1, min(3, target.count / 3))
        var best: (distance: Int, name: String)?
        for candidate in candidates {
            let d = distance(target, Array(candidate.lowercased()), limit: limit)
            guard d <= limit else { continue }
            if best == nil || d < best!.distance { best = (d, candidate) }
        }
        return best?.name
    }

    /// The optimal-string-alignment distance (Levenshtein plus adjacent transpositions), giving up
    /// with `limit + 1` as soon as it is clearly larger: the CRDs have hundreds of field names.
    static func distance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d = min(d, previous2[j - 2] + 1)
                }
                current[j] = d
                rowMinimum = min(rowMinimum, d)
            }
            if rowMinimum > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
