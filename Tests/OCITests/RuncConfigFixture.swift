/// A runc-style config.json (the `runc spec` default plus hooks, devices, seccomp, sysctl): about 5 KB.
let runcConfigJSON = """
{
	"ociVersion": "1.2.0",
	"process": {
		"terminal": true,
		"consoleSize": {
			"height": 24,
			"width": 80
		},
		"user": {
			"uid": 0,
			"gid": 0,
			"umask": 18,
			"additionalGids": [
				10,
				11
			]
		},
		"args": [
			"sh",
			"-c",
			"echo \\"hello\\" && exit 0"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm",
			"GREETING=gr\\u00fc\\u00dfe \\ud83d\\ude00"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			},
			{
				"type": "RLIMIT_CORE",
				"hard": 18446744073709551615,
				"soft": 0
			}
		],
		"noNewPrivileges": true,
		"oomScoreAdj": -500
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"hooks": {
		"createRuntime": [
			{
				"path": "/usr/bin/setup-network",
				"args": [
					"setup-network",
					"--bridge=br0"
				],
				"env": [
					"DEBUG=1"
				],
				"timeout": 5
			}
		],
		"poststop": [
			{
				"path": "/usr/bin/cleanup"
			}
		]
	},
	"annotations": {
		"org.example.owner": "husk",
		"org.example.note": "line\\nbreak"
	},
	"linux": {
		"sysctl": {
			"net.ipv4.ip_forward": "1"
		},
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"devices": [
			{
				"path": "/dev/fuse",
				"type": "c",
				"major": 10,
				"minor": 229,
				"fileMode": 438,
				"uid": 0,
				"gid": 0
			}
		],
		"seccomp": {
			"defaultAction": "SCMP_ACT_ERRNO",
			"defaultErrnoRet": 1,
			"architectures": [
				"SCMP_ARCH_X86_64",
				"SCMP_ARCH_X86",
				"SCMP_ARCH_X32"
			],
			"flags": [
				"SECCOMP_FILTER_FLAG_SPEC_ALLOW"
			],
			"syscalls": [
				{
					"names": [
						"accept",
						"read",
						"write",
						"openat",
						"close",
						"exit_group"
					],
					"action": "SCMP_ACT_ALLOW"
				},
				{
					"names": [
						"personality"
					],
					"action": "SCMP_ACT_ALLOW",
					"args": [
						{
							"index": 0,
							"value": 131080,
							"valueTwo": 0,
							"op": "SCMP_CMP_EQ"
						}
					]
				},
				{
					"names": [
						"clone3"
					],
					"action": "SCMP_ACT_ERRNO",
					"errnoRet": 38
				}
			]
		},
		"rootfsPropagation": "rprivate",
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi",
			"/sys/devices/virtual/tpm"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		],
		"personality": {
			"domain": "LINUX"
		}
	}
}
"""
