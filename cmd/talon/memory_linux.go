package main

import (
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// totalMemory is the memory this process may use: the machine's, or its
// cgroup's limit when lower (a container, a systemd MemoryMax=); 0 when
// unknown.
func totalMemory() uint64 {
	var info unix.Sysinfo_t
	if err := unix.Sysinfo(&info); err != nil {
		return 0
	}
	mem := uint64(info.Totalram) * uint64(info.Unit)
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return mem
	}
	if limit := cgroupLimit(string(cg), os.ReadFile); limit > 0 && limit < mem {
		mem = limit
	}
	return mem
}

// cgroupLimit is the lowest memory limit on the way from the process's
// cgroups (the text of /proc/self/cgroup) up to the root, in cgroup v2
// (memory.max) and v1 (memory.limit_in_bytes); 0 when there is none.
func cgroupLimit(procCgroup string, read func(string) ([]byte, error)) uint64 {
	var lowest uint64
	consider := func(file string) {
		b, err := read(file)
		if err != nil {
			return
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (lowest == 0 || n < lowest) {
			lowest = n // "max" (v2) and v1's huge "unlimited" parse as no limit or are above the machine
		}
	}
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir, file = "/sys/fs/cgroup", "memory.max"
		case strings.Contains(","+parts[1]+",", ",memory,"):
			dir, file = "/sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		// Walk up from the process's own group; in a container its path
		// may not exist under the mount, whose root is then its group.
		for p := path.Clean("/" + parts[2]); ; p = path.Dir(p) {
			consider(path.Join(dir, p, file))
			if p == "/" {
				break
			}
		}
	}
	return lowest
}
