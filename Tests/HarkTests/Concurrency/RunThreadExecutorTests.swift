import Testing

@testable import Hark

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Run thread executor")
struct RunThreadExecutorTests {
    @Test("tasks that prefer the executor, and their child tasks, all run on its one thread")
    func oneThread() async throws {
        let executor = RunThreadExecutor(name: "test run")
        defer { executor.shutdown() }
        let threads = LockedValue<Set<UInt>>([])
        await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        _ = threads.withLock { $0.insert(UInt(pthread_self())) }
                        await Task.yield()
                        _ = threads.withLock { $0.insert(UInt(pthread_self())) }
                    }
                }
            }
        }
        #expect(threads.value.count == 1)
        #expect(!threads.value.contains(UInt(pthread_self())))
    }

    @Test("sleeps never return before their deadline and wake in deadline order")
    func sleepsInOrder() async throws {
        let executor = RunThreadExecutor(name: "test run")
        defer { executor.shutdown() }
        let woken = LockedValue<[Int]>([])
        let start = ContinuousClock.now
        try await withTaskExecutorPreference(executor) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for milliseconds in [30, 10, 20] {
                    group.addTask {
                        let deadline = start + .milliseconds(milliseconds)
                        try await executor.sleep(until: deadline)
                        #expect(ContinuousClock.now >= deadline)
                        woken.withLock { $0.append(milliseconds) }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(woken.value == [10, 20, 30])
    }

    @Test("a sleep from a task outside the executor wakes the waiting thread to honour its deadline")
    func sleepFromOutside() async throws {
        let executor = RunThreadExecutor(name: "test run")
        defer { executor.shutdown() }
        let deadline = ContinuousClock.now + .milliseconds(20)
        try await executor.sleep(until: deadline)
        #expect(ContinuousClock.now >= deadline)
    }

    @Test("cancelling a sleeping task ends its sleep with CancellationError")
    func cancelledSleep() async throws {
        let executor = RunThreadExecutor(name: "test run")
        defer { executor.shutdown() }
        let sleeper = Task {
            try await RunThreadExecutor.$current.withValue(executor) {
                try await RunThreadExecutor.sleep(until: .now + .seconds(3600))
            }
        }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test("work that arrives after shutdown still runs, on the global executor")
    func afterShutdown() async throws {
        let executor = RunThreadExecutor(name: "test run")
        executor.shutdown()
        let ran = await Task(executorPreference: executor) { true }.value
        #expect(ran)
    }
}
