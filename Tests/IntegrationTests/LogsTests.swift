// container.log of a supervised container (`run -d`) and `husk logs`: streams, follow, tail,
// since, timestamps, rotation.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk's supervisor and logs: runc has none"))
struct LogsTests {
    @Test func capturesStdoutAndStderrWithStreams() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("echo out1; echo err1 >&2; echo out2") }
        let id = sb.newID("logs")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitOutput(id) == "0")
        let r = try await sb.husk(["logs", id])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "out1\nout2\n", "\(r)")
        #expect(r.stderr == "err1\n", "\(r)")

        let text = try String(contentsOfFile: sb.stateFile(id, "container.log"), encoding: .utf8)
        let entries = text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(entries.count == 3, "one JSON object per line: \(text)")
        #expect(entries.compactMap { $0["stream"] as? String }.sorted() == ["stderr", "stdout", "stdout"])
        #expect(entries.first { $0["stream"] as? String == "stderr" }?["log"] as? String == "err1\n")
        for e in entries {
            let time = try #require(e["time"] as? String)
            #expect(time.contains("T") && time.hasSuffix("Z"), "RFC 3339 time: \(time)")
        }
    }

    @Test func followPrintsUntilTheContainerStops() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        var ctl = ""
        let b = try sb.bundle {
            ctl = try sb.controlDir(&$0)
            $0.shell("echo line1; while [ ! -e /ctl/go ]; do sleep 0.02; done; echo line2 >&2; sleep 0.2; echo line3")
        }
        let id = sb.newID("follow")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let follower = try sb.startHusk(["logs", "-f", id])
        #expect(await Harness.poll(timeout: 20) { follower.stdout == "line1\n" }, "the first line arrives")
        #expect(follower.poll() == nil, "logs -f keeps following while the container runs")
        try "".writeFile(ctl + "/go")
        let r = await follower.wait(timeout: 20)
        #expect(r.status == 0, "\(r)")
        #expect(!r.timedOut, "logs -f ends with the container")
        #expect(r.stdout == "line1\nline3\n", "\(r)")
        #expect(r.stderr == "line2\n", "\(r)")
        #expect(try await sb.status(id) == "stopped")
    }

    @Test func tailSinceAndTimestamps() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("echo a; echo b; echo c") }
        let id = sb.newID("tail")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitOutput(id) == "0")

        #expect(try await sb.husk(["logs", "--tail", "2", id]).stdout == "b\nc\n")
        #expect(try await sb.husk(["logs", "--since", "1h", id]).stdout == "a\nb\nc\n")
        #expect(try await sb.husk(["logs", "--since", "2999-01-01T00:00:00Z", id]).stdout == "")
        let stamped = try await sb.husk(["logs", "--timestamps", id])
        let lines = stamped.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(stamped)")
        for (line, text) in zip(lines, ["a", "b", "c"]) {
            let parts = line.split(separator: " ", maxSplits: 1)
            #expect(parts.count == 2 && parts[0].hasSuffix("Z") && parts[0].contains("T") && parts[1] == text, "\(line)")
        }
        let bad = try await sb.husk(["logs", "--since", "yesterday", id])
        #expect(bad.status != 0)
    }

    @Test func rotatesAtTheSizeLimit() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line$i; done") }
        let id = sb.newID("rotate")
        let r = try await sb.husk(["run", "-d", "--log-max-size", "1k", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(try await sb.waitOutput(id) == "0")
        let current = sb.stateFile(id, "container.log"), rotated = sb.stateFile(id, "container.log.1")
        let size = { (p: String) -> Int in ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? Int) ?? -1 }
        #expect(size(rotated) > 0, "container.log.1 exists")
        #expect(size(rotated) <= 1024 && size(current) <= 1024, "\(size(rotated)) \(size(current))")
        let logs = try await sb.husk(["logs", id])
        let lines = logs.stdout.split(separator: "\n")
        #expect(lines.last == "line100", "\(logs)")
        #expect(lines.count > 10 && lines.count < 100, "older output rotated away: \(lines.count) lines")
        // The lines still there are consecutive.
        let numbers = lines.compactMap { Int($0.dropFirst(4)) }
        #expect(numbers == Array((100 - numbers.count + 1)...100))
    }

    /// Bytes that are not text survive as JSON: control characters escaped, invalid UTF-8 as U+FFFD.
    @Test func oddBytesStayValidJSON() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell(#"printf 'a\001b"c\\d\377e\tf\n'; printf 'caf\303\251\n'"#) }
        let id = sb.newID("bytes")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitOutput(id) == "0")
        let r = try await sb.husk(["logs", id])
        #expect(r.stdout == "a\u{01}b\"c\\d\u{FFFD}e\tf\ncafé\n", "\(r)")
        let text = try String(contentsOfFile: sb.stateFile(id, "container.log"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "valid JSON: \(line)")
        }
    }
}
