import Glibc
import Sys
import Testing

private func padded(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// What gmtime_r says `secs` is, in rfc3339's format (whole seconds).
private func gmtimeText(_ secs: Int64) -> String {
    var t = time_t(secs)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    return padded(Int(tmv.tm_year) + 1900, 4) + "-" + padded(Int(tmv.tm_mon) + 1, 2) + "-" + padded(Int(tmv.tm_mday), 2)
        + "T" + padded(Int(tmv.tm_hour), 2) + ":" + padded(Int(tmv.tm_min), 2) + ":" + padded(Int(tmv.tm_sec), 2) + "Z"
}

/// rfc3339 computes the date itself (no /etc/localtime read); it must agree with gmtime_r.
@Suite struct RFC3339Tests {
    @Test func matchesGmtimeAcrossCenturiesAndLeapDays() {
        // Epoch, leap days, the 2000 and 2100 century rules, before 1970, then random instants.
        var instants: [Int64] = [0, -1, 951_782_400, 951_868_799, 4_107_542_400, 4_107_628_799, -2_208_988_800, 1_795_885_662, 253_402_300_799]
        for _ in 0..<2_000 { instants.append(Int64.random(in: -4_000_000_000...8_000_000_000)) }
        for secs in instants {
            #expect(rfc3339(timespec(tv_sec: Int(secs), tv_nsec: 0)) == gmtimeText(secs), "at \(secs)")
        }
    }

    @Test func keepsNanosecondsWithoutTrailingZeros() {
        #expect(rfc3339(timespec(tv_sec: 0, tv_nsec: 120_000_000)) == "1970-01-01T00:00:00.12Z")
        #expect(rfc3339(timespec(tv_sec: 86_399, tv_nsec: 1)) == "1970-01-01T23:59:59.000000001Z")
    }
}
