// InboxSearch, the paced search behind `expect SEL match`: a look with no new bytes searches
// nothing, a paced look may put a search off, and an unpaced look (the connection ended, or the
// wait did) searches whatever was put off, so a match that arrived is never missed.

import Framing
import Testing
@testable import ScenarioRunner

@Suite("paced inbox search")
struct InboxSearchTests {
    @Test("the first look searches; a look with no new bytes does not search again")
    func firstLookAndNoNewBytes() throws {
        let regex = try ByteRegex("MARK")
        var search = InboxSearch()
        let inbox = ArraySlice(Array("xxMARKyy".utf8))
        #expect(search.match(regex, in: inbox, paced: true)?.range == 2..<6)
        #expect(search.match(regex, in: inbox, paced: false) == nil)
    }

    @Test("bytes a paced look put off are searched by the next unpaced look: the match is reported exactly once")
    func unpacedSearchesWhatWasPutOff() throws {
        let regex = try ByteRegex("MARK")
        var search = InboxSearch()
        // A search long enough that the next paced look, right after it, is put off.
        var inbox = Array(repeating: UInt8(ascii: "a"), count: 4 << 20)
        #expect(search.match(regex, in: inbox[...], paced: true) == nil)
        inbox += Array("MARK".utf8)
        let paced = search.match(regex, in: inbox[...], paced: true)
        let unpaced = search.match(regex, in: inbox[...], paced: false)
        let expected = (4 << 20)..<((4 << 20) + 4)
        #expect((paced ?? unpaced)?.range == expected, "paced \(String(describing: paced)), unpaced \(String(describing: unpaced))")
        #expect(paced == nil || unpaced == nil, "reported twice")
    }

    @Test("an inbox shorter than the one searched starts the search over instead of misreading it")
    func shorterInboxStartsOver() throws {
        let regex = try ByteRegex("b")
        var search = InboxSearch()
        #expect(search.match(regex, in: ArraySlice(Array("aaaa".utf8)), paced: false) == nil)
        #expect(search.match(regex, in: ArraySlice(Array("ab".utf8)), paced: false)?.range == 1..<2)
    }
}
