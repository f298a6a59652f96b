import Glibc

/// Linux calls that Swift's Glibc module does not declare (they need
/// `_GNU_SOURCE`), looked up in the C library at run time.
///
/// Why not C: the one C shim target belongs to the package's POSIX layer;
/// these calls are exported by glibc ≥ 2.28 and need no wrapper.
enum LinuxCalls {
    private typealias SyncFS = @convention(c) (Int32) -> Int32
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    private static let syncfsFunction = symbol("syncfs").map { unsafeBitCast($0, to: SyncFS.self) }
    private static let renameat2Function = symbol("renameat2").map { unsafeBitCast($0, to: RenameAt2.self) }

    /// The address of a function in the already-loaded C library.
    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(dlopen(nil, RTLD_NOW), name)
    }

    /// `RENAME_NOREPLACE` from <linux/fs.h>: fail with EEXIST rather than replace the target.
    static let renameNoReplace: UInt32 = 1
    /// `RENAME_EXCHANGE` from <linux/fs.h>: atomically swap two existing names.
    static let renameExchange: UInt32 = 2

    /// syncfs(2): writes out every dirty page and inode of the file system
    /// holding `fd`. Falls back to sync(2), which does it for every file system.
    static func syncfs(_ fd: Int32) -> Int32 {
        guard let syncfsFunction else { sync(); return 0 }
        return syncfsFunction(fd)
    }

    /// renameat2(2) with `flags`; nil when the C library lacks it.
    static func renameat2(_ fromDirectory: Int32, _ from: String, _ toDirectory: Int32, _ to: String, flags: UInt32) -> Int32? {
        guard let renameat2Function else { return nil }
        return renameat2Function(fromDirectory, from, toDirectory, to, flags)
    }
}
