package main

import (
	"errors"
	"testing"
)

func TestCgroupLimit(t *testing.T) {
	files := map[string]string{
		// cgroup v2: a systemd service with MemoryMax=512M, its slice unlimited
		"/sys/fs/cgroup/system.slice/talon.service/memory.max": "536870912\n",
		"/sys/fs/cgroup/system.slice/memory.max":               "max\n",
		// cgroup v1: a container's group, and the limit on its parent
		"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n",
		"/sys/fs/cgroup/memory/docker/memory.limit_in_bytes":     "2147483648\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
	for _, tc := range []struct {
		cgroup string
		want   uint64
	}{
		{"0::/system.slice/talon.service\n", 512 << 20},
		{"4:memory:/docker/abc\n1:cpu:/\n", 2 << 30},
		{"0::/\n", 0},
		{"0::/user.slice/session-1.scope\n", 0},
		{"garbage", 0},
	} {
		if got := cgroupLimit(tc.cgroup, read); got != tc.want {
			t.Errorf("cgroupLimit(%q) = %d, want %d", tc.cgroup, got, tc.want)
		}
	}
}
