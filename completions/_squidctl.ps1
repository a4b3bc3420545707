
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'squidctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'squidctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'squidctl' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check protocols against the microscope description without running anything')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Stream the events a protocol expands into (first line at once, even for huge plans)')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate')
            [CompletionResult]::new('acquire', 'acquire', [CompletionResultType]::ParameterValue, 'Run a protocol on the microscope')
            [CompletionResult]::new('devices', 'devices', [CompletionResultType]::ParameterValue, 'Show the resolved microscope and check that each device answers')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Continue an interrupted run in its own directory')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that every file of a run is present, readable and intact')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Summarise a run, finished or still running')
            [CompletionResult]::new('calibrate-af', 'calibrate-af', [CompletionResultType]::ParameterValue, 'Calibrate the laser autofocus: step z around the focus, fit the spot''s shift per µm and write the calibration file the description names')
            [CompletionResult]::new('emulate', 'emulate', [CompletionResultType]::ParameterValue, 'Emulate hardware on this machine, to rehearse squidctl without it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (of squidctl, or of one command)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;validate' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a protocol value, e.g. --set time.count=3 (repeatable)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;plan' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a protocol value, e.g. --set time.count=3 (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after N events')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;simulate' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a protocol value, e.g. --set time.count=3 (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'With --estimate: where runs would be written [default: the protocol''s output.directory]')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Keep the simulated images: write a run directory under DIR')
            [CompletionResult]::new('--time-scale', '--time-scale', [CompletionResultType]::ParameterName, 'Real seconds per simulated second (0: as fast as possible)')
            [CompletionResult]::new('--savers', '--savers', [CompletionResultType]::ParameterName, 'Saver threads [default: one per core, at least 2]')
            [CompletionResult]::new('--queue-frames', '--queue-frames', [CompletionResultType]::ParameterName, 'Most frames waiting to be written [default: from available memory]')
            [CompletionResult]::new('--queue-memory', '--queue-memory', [CompletionResultType]::ParameterName, 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress bars: on a terminal (auto), always, or never (plain lines)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'Without bars, print a progress line this often')
            [CompletionResult]::new('--estimate', '--estimate', [CompletionResultType]::ParameterName, 'Print positions, frames, bytes, time per round and total, without running')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Start even if the estimated size exceeds the free space')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'squidctl;acquire' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a protocol value, e.g. --set time.count=3 (repeatable)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Parent directory for the run [default: the protocol''s output.directory]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--savers', '--savers', [CompletionResultType]::ParameterName, 'Saver threads [default: one per core, at least 2]')
            [CompletionResult]::new('--queue-frames', '--queue-frames', [CompletionResultType]::ParameterName, 'Most frames waiting to be written [default: from available memory]')
            [CompletionResult]::new('--queue-memory', '--queue-memory', [CompletionResultType]::ParameterName, 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress bars: on a terminal (auto), always, or never (plain lines)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'Without bars, print a progress line this often')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Start even if the estimated size exceeds the free space')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'squidctl;devices' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long each device may take to answer')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;resume' {
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--savers', '--savers', [CompletionResultType]::ParameterName, 'Saver threads [default: one per core, at least 2]')
            [CompletionResult]::new('--queue-frames', '--queue-frames', [CompletionResultType]::ParameterName, 'Most frames waiting to be written [default: from available memory]')
            [CompletionResult]::new('--queue-memory', '--queue-memory', [CompletionResultType]::ParameterName, 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress bars: on a terminal (auto), always, or never (plain lines)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'Without bars, print a progress line this often')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'squidctl;verify' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;report' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;calibrate-af' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML (with a `laser_autofocus` that has a `calibration:` file)')
            [CompletionResult]::new('--z', '--z', [CompletionResultType]::ParameterName, 'Where the sample''s surface is in focus [default: the description''s stage.focus_z]')
            [CompletionResult]::new('--xy', '--xy', [CompletionResultType]::ParameterName, 'Move the stage here first, e.g. 20mm,15mm [default: where it is after connecting]')
            [CompletionResult]::new('--steps', '--steps', [CompletionResultType]::ParameterName, 'Positions on each side of the focus')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Distance between positions')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;emulate' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('mcu', 'mcu', [CompletionResultType]::ParameterValue, 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;emulate;mcu' {
            [CompletionResult]::new('--link', '--link', [CompletionResultType]::ParameterName, 'Also make this symlink point at the port (a stable name for microscope files)')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'The firmware version to report, e.g. 1.4 (1.0 to 1.15; 0.0 is legacy firmware)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Write what the board received and did as JSON lines to this file')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte received or sent), silence:N:DUR, stall:N:DUR, delay:N:DUR, unplug:N:DUR, reboot:N (after the N-th command, heartbeats not counted), late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)')
            [CompletionResult]::new('--noise', '--noise', [CompletionResultType]::ParameterName, 'Corrupt this fraction of bytes both ways, at random (e.g. 0.001)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for --noise')
            [CompletionResult]::new('--camera', '--camera', [CompletionResultType]::ParameterName, 'Also serve a GigE camera at this local address (Aravis''s fake camera, MER2-like: trigger on Line2, wired to the board''s trigger output); needs the genicam feature')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'The microscope description the host uses: its axes, signs, stage and channels place the sample and the autofocus spot the camera shows')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;emulate;help' {
            [CompletionResult]::new('mcu', 'mcu', [CompletionResultType]::ParameterValue, 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;emulate;help;mcu' {
            break
        }
        'squidctl;emulate;help;help' {
            break
        }
        'squidctl;completions' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;man' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;help' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check protocols against the microscope description without running anything')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Stream the events a protocol expands into (first line at once, even for huge plans)')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate')
            [CompletionResult]::new('acquire', 'acquire', [CompletionResultType]::ParameterValue, 'Run a protocol on the microscope')
            [CompletionResult]::new('devices', 'devices', [CompletionResultType]::ParameterValue, 'Show the resolved microscope and check that each device answers')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Continue an interrupted run in its own directory')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that every file of a run is present, readable and intact')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Summarise a run, finished or still running')
            [CompletionResult]::new('calibrate-af', 'calibrate-af', [CompletionResultType]::ParameterValue, 'Calibrate the laser autofocus: step z around the focus, fit the spot''s shift per µm and write the calibration file the description names')
            [CompletionResult]::new('emulate', 'emulate', [CompletionResultType]::ParameterValue, 'Emulate hardware on this machine, to rehearse squidctl without it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (of squidctl, or of one command)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;help;validate' {
            break
        }
        'squidctl;help;plan' {
            break
        }
        'squidctl;help;simulate' {
            break
        }
        'squidctl;help;acquire' {
            break
        }
        'squidctl;help;devices' {
            break
        }
        'squidctl;help;resume' {
            break
        }
        'squidctl;help;verify' {
            break
        }
        'squidctl;help;report' {
            break
        }
        'squidctl;help;calibrate-af' {
            break
        }
        'squidctl;help;emulate' {
            [CompletionResult]::new('mcu', 'mcu', [CompletionResultType]::ParameterValue, 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM')
            break
        }
        'squidctl;help;emulate;mcu' {
            break
        }
        'squidctl;help;completions' {
            break
        }
        'squidctl;help;man' {
            break
        }
        'squidctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
