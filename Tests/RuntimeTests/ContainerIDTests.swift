import Testing
@testable import Runtime

@Suite struct ContainerIDTests {
    @Test(arguments: ["a", "abc-123", "A_b+c.d-e", "..a", "a..", ".hidden", String(repeating: "x", count: 1024)])
    func acceptsValidIDs(id: String) throws {
        try ContainerID.validate(id)
    }

    @Test func rejectsEmpty() {
        #expect(message("")?.contains("must not be empty") == true)
    }

    @Test(arguments: [".", ".."])
    func rejectsDotNames(id: String) {
        #expect(message(id)?.contains("must not be") == true)
    }

    @Test func rejectsLongIDs() {
        #expect(message(String(repeating: "x", count: 1025))?.contains("longer than 1024") == true)
    }

    @Test(arguments: ["a/b", "../x", "a b", "a:b", "a\0b", "ü", "a\nb", "a*", "~x", "a@b"])
    func rejectsOtherCharacters(id: String) {
        let text = message(id)
        #expect(text?.contains("only letters, digits") == true)
    }

    private func message(_ id: String) -> String? {
        do {
            try ContainerID.validate(id)
            return nil
        } catch {
            return error.message
        }
    }
}
