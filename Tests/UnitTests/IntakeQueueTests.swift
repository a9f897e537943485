import OpineCore
import Testing

@Suite("Intake queue: emergencies first, then first come; the express lane never holds a large routine upload")
struct IntakeQueueTests {
    static let express: Int64 = 32 << 20

    @Test("A later emergency is taken before everything routine that waits, by either lane")
    func emergencyJumpsTheQueue() {
        var queue = IntakeQueue(expressMaxBytes: Self.express)
        for index in 0..<1000 { queue.insert(.init(name: "r\(index)", priority: .routine, bytes: 1000, arrival: UInt64(index))) }
        queue.insert(.init(name: "late-urgent", priority: .urgent, bytes: 1000, arrival: 2000))
        queue.insert(.init(name: "late-emergency", priority: .emergency, bytes: 1000, arrival: 2001))
        #expect(queue.next(for: .main)?.name == "late-emergency")
        #expect(queue.next(for: .express)?.name == "late-urgent")
        #expect(queue.next(for: .express)?.name == "r0")
        #expect(queue.count == 999)
    }

    @Test("The express lane takes small uploads and emergencies of any size; the main lane takes anything")
    func laneAcceptance() {
        var queue = IntakeQueue(expressMaxBytes: Self.express)
        queue.insert(.init(name: "big-routine", priority: .routine, bytes: 4 << 30, arrival: 1))
        queue.insert(.init(name: "big-urgent", priority: .urgent, bytes: 4 << 30, arrival: 2))
        #expect(queue.next(for: .express) == nil, "a large study never blocks the express lane")
        queue.insert(.init(name: "big-emergency", priority: .emergency, bytes: 4 << 30, arrival: 3))
        #expect(queue.next(for: .express)?.name == "big-emergency")
        #expect(queue.next(for: .main)?.name == "big-urgent")
        #expect(queue.next(for: .main)?.name == "big-routine")
    }

    @Test("Re-inserting an upload re-ranks it, keeping one entry")
    func reRank() {
        var queue = IntakeQueue(expressMaxBytes: Self.express)
        queue.insert(.init(name: "a", priority: .routine, bytes: 1, arrival: 1))
        queue.insert(.init(name: "b", priority: .routine, bytes: 1, arrival: 2))
        queue.insert(.init(name: "b", priority: .emergency, bytes: 1, arrival: 2))
        #expect(queue.count == 2)
        #expect(queue.next(for: .main)?.name == "b")
        queue.remove("a")
        #expect(queue.next(for: .main) == nil)
    }
}

extension IntakeQueueTests {
    @Test("Small uploads behind each other are taken as one group; an emergency always alone; a large one ends a group")
    func groups() {
        var queue = IntakeQueue(expressMaxBytes: Self.express)
        for index in 0..<40 { queue.insert(.init(name: "r\(index)", priority: .routine, bytes: 2 << 20, arrival: UInt64(index))) }
        let first = queue.nextGroup(for: .main)
        #expect(first.map(\.name) == (0..<IntakeQueue.groupLimit).map { "r\($0)" }, "16 of 2 MiB fit in 32 MiB")
        queue.insert(.init(name: "e", priority: .emergency, bytes: 1000, arrival: 100))
        #expect(queue.nextGroup(for: .express).map(\.name) == ["e"])
        queue.insert(.init(name: "big", priority: .urgent, bytes: 1 << 30, arrival: 101))
        #expect(queue.nextGroup(for: .main).map(\.name) == ["big"], "a large upload is taken alone")
        var bytes = IntakeQueue(expressMaxBytes: 5 << 20)
        for index in 0..<4 { bytes.insert(.init(name: "s\(index)", priority: .routine, bytes: 2 << 20, arrival: UInt64(index))) }
        #expect(bytes.nextGroup(for: .express).count == 2, "a group stays within the express lane's size")
    }
}
