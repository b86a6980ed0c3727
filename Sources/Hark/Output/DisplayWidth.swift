/// How many terminal columns text takes, from Unicode scalar properties.
///
/// Wide East Asian characters and emoji presentation take 2 columns, combining marks, format
/// characters (ZWJ) and controls 0, everything else 1. A grapheme cluster takes the widest of
/// its scalars, so `e` + U+0301 is 1 column and a ZWJ emoji sequence 2 — what common terminals
/// (VTE, xterm, kitty, tmux) draw for the scripts speech recognisers produce.
package enum DisplayWidth {
    /// Columns `character` occupies.
    package static func of(_ character: Character) -> Int {
        var width = 0
        for scalar in character.unicodeScalars {
            width = max(width, of(scalar))
            if width == 2 { break }
        }
        return width
    }

    /// Columns `text` occupies on one unbounded line.
    package static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// Rows `text` fills on a terminal `columns` wide, starting at column 0, with auto-wrap.
    ///
    /// A wide character that does not fit in the last column wraps whole, leaving a gap, as
    /// terminals do. Text that exactly fills its last row leaves the cursor on that row (the
    /// terminal's pending wrap), so it is not counted as the start of another row.
    package static func rows(_ text: String, columns: Int) -> Int {
        let columns = max(1, columns)
        var row = 1
        var column = 0
        for character in text {
            let width = of(character)
            if column + width > columns {
                row += 1
                column = 0
            }
            column += width
        }
        return row
    }

    /// Columns one scalar occupies.
    package static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (value >= 0x7F && value < 0xA0) { return 0 }
        if value < 0x300 { return 1 }  // Latin fast path: no marks, nothing wide below U+0300.
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if value >= 0x1160 && value <= 0x11FF { return 0 }  // Hangul medial vowels and final consonants.
        if scalar.properties.isEmojiPresentation { return 2 }
        return isEastAsianWide(value) ? 2 : 1
    }

    /// East_Asian_Width W or F (UAX #11) ranges; Swift exposes no property for it.
    private static func isEastAsianWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
            0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F200...0x1F2FF,
            0x20000...0x2FFFD, 0x30000...0x3FFFD:
            true
        default:
            false
        }
    }
}
