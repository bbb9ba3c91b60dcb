//! The process's memory use, for reports and the bytes-per-synapse figures.

/// Peak resident set size of this process in bytes (the kernel's `VmHWM`,
/// "high water mark"), or `None` where `/proc` does not say (not Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| vm_hwm_bytes(&status))
}

/// The `VmHWM:   1234 kB` line of a `/proc/<pid>/status` text, in bytes
/// (the kernel's `kB` is 1024 bytes).
fn vm_hwm_bytes(status: &str) -> Option<u64> {
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?;
    let kibibytes: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kibibytes.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark() {
        let status =
            "Name:\tneurc\nVmPeak:\t  200000 kB\nVmHWM:\t   68360 kB\nVmRSS:\t   1000 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(68360 * 1024));
        assert_eq!(vm_hwm_bytes("Name:\tneurc\n"), None);
        assert_eq!(vm_hwm_bytes("VmHWM:\t lots\n"), None);
    }

    #[test]
    fn this_process_has_a_peak_on_linux() {
        if cfg!(target_os = "linux") {
            let peak = peak_rss_bytes().unwrap();
            assert!(peak > 1 << 20, "{peak} bytes");
        }
    }
}
