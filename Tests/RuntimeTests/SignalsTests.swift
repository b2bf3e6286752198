import Testing
@testable import Runtime

@Suite struct SignalsTests {
    @Test(arguments: [("TERM", Int32(15)), ("SIGTERM", 15), ("sigkill", 9), ("Kill", 9), ("15", 15), ("1", 1),
                      ("64", 64), ("HUP", 1), ("SIGUSR1", 10), ("USR2", 12), ("CHLD", 17), ("WINCH", 28),
                      ("IOT", 6), ("ABRT", 6), ("POLL", 29), ("SYS", 31)])
    func parsesNamesAndNumbers(text: String, signal: Int32) {
        #expect(Signals.parse(text) == signal)
    }

    @Test(arguments: [("RTMIN", Int32(34)), ("SIGRTMIN", 34), ("RTMIN+3", 37), ("rtmin+30", 64),
                      ("RTMAX", 64), ("SIGRTMAX-1", 63), ("RTMAX-30", 34)])
    func parsesRealtimeSignals(text: String, signal: Int32) {
        #expect(Signals.parse(text) == signal)
    }

    @Test(arguments: ["", "SIG", "0", "-9", "65", "NOPE", "TERMINATE", "RTMIN+31", "RTMAX-31", "RTMIN+x",
                      "RTMIN-1", "RTMAX+1", "RTMIN++3", "RTMIN3", "RTMIN+", "RTMAX-", "RTMIN+-3", "RTMIN+2147483647",
                      "RTMIN+99999999999", "RTMAX-2147483647", "RTMIN+٣", " 9", "9 "])
    func rejectsUnknown(text: String) {
        #expect(Signals.parse(text) == nil)
    }

    @Test func namesSignals() {
        #expect(Signals.name(of: 9) == "SIGKILL")
        #expect(Signals.name(of: 15) == "SIGTERM")
        #expect(Signals.name(of: 6) == "SIGABRT")
        #expect(Signals.name(of: 29) == "SIGIO")
        #expect(Signals.name(of: 40) == "signal 40")
    }

    @Test func everyTableNameRoundTrips() {
        for (name, number) in Signals.table {
            #expect(Signals.parse("SIG" + name) == number)
            #expect(Signals.parse(String(number)) == number)
        }
    }
}
