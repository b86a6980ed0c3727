import Testing

@testable import Hark

@Suite("Replay filter: a reconnect prints no word twice")
struct ReplayFilterTests {
    func segment(_ words: [(String, Double, Double)]) -> TranscriptSegment {
        let words = words.map { TranscriptWord(text: $0.0, start: $0.1, end: $0.2) }
        return TranscriptSegment(
            text: words.map(\.text).joined(separator: " "), start: words.first?.start ?? 0,
            end: words.last?.end ?? 0, words: words)
    }

    @Test("on the first connection every final goes through, and its end is remembered")
    func firstConnection() {
        var filter = ReplayFilter()
        let first = segment([("one", 0, 1), ("two", 1, 2)])
        let firstVerdict = filter.admit(first, replaying: false)
        #expect(firstVerdict == .emit(first))
        // Even an overlapping one: without a replay there is nothing to repeat.
        let overlap = segment([("two", 1, 2), ("three", 2, 3)])
        let overlapVerdict = filter.admit(overlap, replaying: false)
        #expect(overlapVerdict == .emit(overlap))
        #expect(filter.lastFinalEnd == 3)
    }

    @Test("a replayed final that ends within what was printed is dropped")
    func repeatedFinal() {
        var filter = ReplayFilter()
        _ = filter.admit(segment([("one", 0, 1), ("two", 1, 2)]), replaying: false)
        let repeatedVerdict = filter.admit(segment([("two", 1, 2.004)]), replaying: true)
        #expect(repeatedVerdict == .repeated)
        #expect(filter.lastFinalEnd == 2)
    }

    @Test("a replayed final that overlaps keeps only the words after what was printed")
    func trimsOverlap() {
        var filter = ReplayFilter()
        _ = filter.admit(segment([("one", 0, 1), ("two", 1, 2)]), replaying: false)
        let verdict = filter.admit(segment([("two", 1, 2), ("three", 2, 3), ("four", 3, 4)]), replaying: true)
        #expect(verdict == .emit(segment([("three", 2, 3), ("four", 3, 4)])))
        #expect(filter.lastFinalEnd == 4)
    }

    @Test("a replayed final that starts after what was printed goes through whole")
    func newAfterReplay() {
        var filter = ReplayFilter()
        _ = filter.admit(segment([("one", 0, 1)]), replaying: false)
        let next = segment([("two", 1.002, 2)])
        let nextVerdict = filter.admit(next, replaying: true)
        #expect(nextVerdict == .emit(next))
    }

    @Test("an empty final prints nothing but acknowledges its audio, and moves nothing")
    func emptyFinal() {
        var filter = ReplayFilter()
        _ = filter.admit(segment([("one", 0, 1)]), replaying: false)
        let emptyVerdict = filter.admit(TranscriptSegment(text: "", start: 1, end: 5), replaying: true)
        #expect(emptyVerdict == .acknowledgeOnly(end: 5))
        #expect(filter.lastFinalEnd == 1)
    }
}
