
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
            [CompletionResult]::new('calibrate-plate', 'calibrate-plate', [CompletionResultType]::ParameterValue, 'Calibrate where a plate sits: find 2–3 reference wells'' edges in bright field (or take the stage positions you jogged to), fit offset, rotation and scale, and store them beside the microscope description for every plan of that plate')
            [CompletionResult]::new('emulate', 'emulate', [CompletionResultType]::ParameterValue, 'Emulate hardware on this machine, to rehearse squidctl without it')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)')
            [CompletionResult]::new('methods', 'methods', [CompletionResultType]::ParameterValue, 'Named protocols stored with a microscope''s queue (squidctl YAML or Squid''s acquisition configuration), checked and estimated when stored; `submit --method NAME` runs one')
            [CompletionResult]::new('preflight', 'preflight', [CompletionResultType]::ParameterValue, 'Check a protocol or a method before the plate is fetched: validation, the estimate, free disk against the need, the devices, the lock and reservation, autofocus calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'List a microscope''s queue: state, priority, what each task waits on, predicted start and end')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one queued task: its settings, transitions and run')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a task: at once if it has not started, else at the run''s next safe point')
            [CompletionResult]::new('hold', 'hold', [CompletionResultType]::ParameterValue, 'Keep a task, or the whole queue, from starting (running tasks go on)')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Let a held task, or the held queue, start again')
            [CompletionResult]::new('move', 'move', [CompletionResultType]::ParameterValue, 'Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that task in its queue instead')
            [CompletionResult]::new('home', 'home', [CompletionResultType]::ParameterValue, 'Connect and home every axis of the stage')
            [CompletionResult]::new('snap', 'snap', [CompletionResultType]::ParameterValue, 'Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)')
            [CompletionResult]::new('focus', 'focus', [CompletionResultType]::ParameterValue, 'Run the autofocus once where the stage is, and say the z it found and how sure it is')
            [CompletionResult]::new('lights', 'lights', [CompletionResultType]::ParameterValue, 'Turn a light on for a while (then off again), or every light off')
            [CompletionResult]::new('filter', 'filter', [CompletionResultType]::ParameterValue, 'Turn the filter wheel to a position')
            [CompletionResult]::new('act', 'act', [CompletionResultType]::ParameterValue, 'Do the action JSON describes (how a worker carries out an action task)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The instrument''s state: idle, reserved, running, paused, error…, where the stage is, which lights are on, the running task, the reservation and the latest fault')
            [CompletionResult]::new('faults', 'faults', [CompletionResultType]::ParameterValue, 'The fault history (what tasks, actions and emergency stops ended with), or with --codes every fault code with its category and advice')
            [CompletionResult]::new('reserve', 'reserve', [CompletionResultType]::ParameterValue, 'Reserve the microscope for one client (only its tasks start) for a while; again to renew, --release to end it')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Emergency stop: every light off at once, the running task stopped at the frame in flight, nothing starts again until `squidctl reset`')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Clear an emergency stop: the queue and actions may start again')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a running task at its next safe point (lights off), until `unpause`')
            [CompletionResult]::new('unpause', 'unpause', [CompletionResultType]::ParameterValue, 'Let a paused task go on')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for tasks to end; exit with their run''s exit code')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Print the queue''s event log (one line per event, JSON with --json), and follow it')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List ended tasks')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Remove ended tasks older than --keep from the queue (their run directories stay)')
            [CompletionResult]::new('worker', 'worker', [CompletionResultType]::ParameterValue, 'Carry out a microscope''s queue, one task at a time')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the queue over HTTP (a local API and a live status page)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Make a microscope description or a protocol from what you already have: a Squid configuration file or acquisition folder, a useq-schema sequence')
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
            [CompletionResult]::new('--queue-memory', '--queue-memory', [CompletionResultType]::ParameterName, 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]')
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
            [CompletionResult]::new('--queue-memory', '--queue-memory', [CompletionResultType]::ParameterName, 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress bars: on a terminal (auto), always, or never (plain lines)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'Without bars, print a progress line this often')
            [CompletionResult]::new('--queue-task', '--queue-task', [CompletionResultType]::ParameterName, 'Run as task TASK_DIR of a queue (set by `squidctl worker`)')
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
            [CompletionResult]::new('--queue-memory', '--queue-memory', [CompletionResultType]::ParameterName, 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress bars: on a terminal (auto), always, or never (plain lines)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'Without bars, print a progress line this often')
            [CompletionResult]::new('--queue-task', '--queue-task', [CompletionResultType]::ParameterName, 'Run as task TASK_DIR of a queue (set by `squidctl worker`)')
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
        'squidctl;calibrate-plate' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML (the calibration is stored beside it)')
            [CompletionResult]::new('--plate', '--plate', [CompletionResultType]::ParameterName, 'The plate format: 6, 12, 24, 48, 96, 384 or 1536')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Calibrate the plate this protocol images (its `format` or `custom` plate)')
            [CompletionResult]::new('--wells', '--wells', [CompletionResultType]::ParameterName, 'Reference wells to find [default: three corners, e.g. A1,A12,H1]')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'A well''s centre you jogged to with `squidctl move`, e.g. A1=14.5mm,11.3mm (repeat for 2–3 wells); nothing is moved')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Bright-field channel to find the wells'' edges in [default: BF, else the first channel]')
            [CompletionResult]::new('--exposure', '--exposure', [CompletionResultType]::ParameterName, 'exposure')
            [CompletionResult]::new('--intensity', '--intensity', [CompletionResultType]::ParameterName, 'Light intensity, percent')
            [CompletionResult]::new('--z', '--z', [CompletionResultType]::ParameterName, 'Height to image at [default: the description''s stage.focus_z]')
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
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte received or sent), silence:W:DUR, stall:W:DUR, delay:W:DUR, unplug:W:DUR, reboot:W (W: after the N-th command, heartbeats not counted, or NAME#K: right after the K-th NAME command, e.g. turn-on-illumination#3), drop-ack:NAME#K[:COUNT] (its acknowledgements are lost), lose:NAME#K (the frame is lost on the wire), late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)')
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
        'squidctl;submit' {
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Submit a stored method (`squidctl methods list`) instead of a file; `--set` overrides it (`--set plate.wells=A1:B3`, `--set output.directory=DIR`)')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a protocol value, e.g. --set time.count=3 (repeatable)')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'Higher runs first (default 0)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Not before this time: 22:30, 2026-12-24T22:30, +2h')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'Give up if not started by then: a duration from now (12h) or a time')
            [CompletionResult]::new('--after', '--after', [CompletionResultType]::ParameterName, 'Start only after these tasks (of the same microscope) have ended, however they ended')
            [CompletionResult]::new('--after-ok', '--after-ok', [CompletionResultType]::ParameterName, 'Start only after these tasks (of the same microscope) completed (exit 0); skipped if one did not')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a failed run (exit 1, 4, 5) this many times, continuing it with `resume`')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A name for the task in listings')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'The reservation this task belongs to: while the microscope is reserved (`squidctl reserve`), only its holder''s tasks start')
            [CompletionResult]::new('--again', '--again', [CompletionResultType]::ParameterName, 'Submit the protocol snapshot of task ID again (as it was queued)')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Submit held: it starts only after `squidctl release ID`')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the task to end and exit with its run''s exit code')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;methods' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Store FILE as method NAME (checked against the microscope first)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every method with its estimate')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One method: its summary and the protocol that runs')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a method (refused while a queued task was submitted from it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;methods;add' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the method if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;methods;list' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;methods;show' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;methods;rm' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;methods;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Store FILE as method NAME (checked against the microscope first)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every method with its estimate')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One method: its summary and the protocol that runs')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a method (refused while a queued task was submitted from it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;methods;help;add' {
            break
        }
        'squidctl;methods;help;list' {
            break
        }
        'squidctl;methods;help;show' {
            break
        }
        'squidctl;methods;help;rm' {
            break
        }
        'squidctl;methods;help;help' {
            break
        }
        'squidctl;preflight' {
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'A stored method instead of a file')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a protocol value (as for `acquire`), e.g. `--set plate.wells=A1:B3`')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'The reservation holder it would run as (`submit --holder`)')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;queue' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only tasks in these states (waiting counts as queued)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every microscope''s queue')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'squidctl;show' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;cancel' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Stop a running task after the frame in flight (as Ctrl-C does), not at the next safe point')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;hold' {
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'Why, shown in `queue`')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The whole queue ("I am at the microscope"), not one task')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;release' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The whole queue ("I am at the microscope"), not one task')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;move' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Move the stage to this named position of the microscope description (e.g. loading)')
            [CompletionResult]::new('--x', '--x', [CompletionResultType]::ParameterName, 'Move the stage''s x to this (or, with --by, by this), e.g. 20mm')
            [CompletionResult]::new('--y', '--y', [CompletionResultType]::ParameterName, 'Move y')
            [CompletionResult]::new('--z', '--z', [CompletionResultType]::ParameterName, 'Move z')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder (see `squidctl reserve`)')
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Just before this task (taking its priority)')
            [CompletionResult]::new('--after', '--after', [CompletionResultType]::ParameterName, 'Just after this task (taking its priority)')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'Set its priority (higher runs first)')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, '--x, --y, --z are offsets from where the stage is')
            [CompletionResult]::new('--front', '--front', [CompletionResultType]::ParameterName, 'First among its priority')
            [CompletionResult]::new('--back', '--back', [CompletionResultType]::ParameterName, 'Last among its priority')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;home' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;snap' {
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'The channel to image with (as the microscope description names it)')
            [CompletionResult]::new('--exposure', '--exposure', [CompletionResultType]::ParameterName, 'Exposure, e.g. 20ms [default: 10ms]')
            [CompletionResult]::new('--intensity', '--intensity', [CompletionResultType]::ParameterName, 'Light intensity in % [default: 50]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder to save the image in')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Folder to save the image in')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;focus' {
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'How to focus [default: laser when the microscope has one, else contrast]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'The channel a contrast autofocus images with [default: the first]')
            [CompletionResult]::new('--range', '--range', [CompletionResultType]::ParameterName, 'How far a contrast autofocus searches, e.g. 40um [default: 40um]')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Its step, e.g. 2um [default: 2um]')
            [CompletionResult]::new('--exposure', '--exposure', [CompletionResultType]::ParameterName, 'Its exposure [default: 10ms]')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;lights' {
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'The channel whose light to turn on')
            [CompletionResult]::new('--intensity', '--intensity', [CompletionResultType]::ParameterName, 'Its intensity in % [default: 50]')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long it stays on, at most 10min; Ctrl-C turns it off sooner [default: 10s]')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;filter' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;act' {
            [CompletionResult]::new('--result', '--result', [CompletionResultType]::ParameterName, 'Also write the JSON result here (ok or not), for the queue task that asked')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML [default: the built-in simulated microscope]')
            [CompletionResult]::new('--wait-lock', '--wait-lock', [CompletionResultType]::ParameterName, 'When another run holds the microscope, wait for it (as long as DURATION, or forever)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;status' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;faults' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only faults after this sequence number (the last one you saw)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('--codes', '--codes', [CompletionResultType]::ParameterName, 'Print the table of fault codes (Markdown; with --json one object per code) instead')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;reserve' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'How long it lasts unless renewed, e.g. 10m (at most 24h)')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--release', '--release', [CompletionResultType]::ParameterName, 'End the reservation instead')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --release: end it whoever holds it (the operator''s override)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;stop' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the event log and the status')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Required: this is the emergency stop (to stop a task at a safe point, `cancel ID`)')
            [CompletionResult]::new('--cut-motors', '--cut-motors', [CompletionResultType]::ParameterName, 'Also disable the stage''s motor drivers, which stops a move in progress but loses the homing: every axis must be homed again after the reset')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;reset' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;pause' {
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'The boundary to pause at: the next FOV, the next well, or the next time point')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, recorded in the journal and the events')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;unpause' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;wait' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up after this long (exit 124)')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;events' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events after this sequence number')
            [CompletionResult]::new('--task', '--task', [CompletionResultType]::ParameterName, 'Only this task''s events: 5, or MICROSCOPE/5')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep printing new events as they come')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new events as they come')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;history' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only tasks that ended within this long')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only tasks in these states')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every microscope''s queue')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'squidctl;gc' {
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep ended tasks (and events) younger than this')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be removed, remove nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;worker' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]')
            [CompletionResult]::new('--on-finish', '--on-finish', [CompletionResultType]::ParameterName, 'Run this shell command when a task ends or the queue is held (the task as JSON on stdin)')
            [CompletionResult]::new('--check-cmd', '--check-cmd', [CompletionResultType]::ParameterName, 'A hold condition: at each safe point, suspend the run while this shell command fails')
            [CompletionResult]::new('--check-every', '--check-every', [CompletionResultType]::ParameterName, 'Run the hold checks at most this often')
            [CompletionResult]::new('--settle', '--settle', [CompletionResultType]::ParameterName, 'A suspended run goes on once its conditions have held for this long')
            [CompletionResult]::new('--retry-backoff', '--retry-backoff', [CompletionResultType]::ParameterName, 'First wait before a retry (`submit --retries`); each next one waits twice as long, at most 10 min')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout')
            [CompletionResult]::new('--exit-when-empty', '--exit-when-empty', [CompletionResultType]::ParameterName, 'Exit when no task is left that could start without someone''s help')
            [CompletionResult]::new('--hold-on-fail', '--hold-on-fail', [CompletionResultType]::ParameterName, 'Also hold the queue after a failed run (exit 1); a hang (4) or an output error (5) always does')
            [CompletionResult]::new('--no-disk-check', '--no-disk-check', [CompletionResultType]::ParameterName, 'Do not suspend a run when its disk has less free space than the rest of it needs')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Where to listen: unix:PATH, or ADDRESS:PORT (port 0 picks a free one) [default: unix:$XDG_RUNTIME_DIR/squidctl.sock]')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'Bearer tokens for TCP, one per line `TOKEN read,submit,control [NAME]`, mode 600; needed for an address other than loopback [default: SPOOL_ROOT/api-tokens, made with one admin token on first use]')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description YAML whose queue to serve; repeat for several [default: the built-in simulated microscope]')
            [CompletionResult]::new('--heartbeat', '--heartbeat', [CompletionResultType]::ParameterName, 'Seconds between heartbeat comments on event streams (keeps proxies from closing them)')
            [CompletionResult]::new('--output-root', '--output-root', [CompletionResultType]::ParameterName, 'Tasks submitted through the API write their runs below this directory only [default: the directory serve starts in]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;import' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('squid-config', 'squid-config', [CompletionResultType]::ParameterValue, 'A microscope description for the `squid` driver from a Squid configuration_*.ini')
            [CompletionResult]::new('squid-acquisition', 'squid-acquisition', [CompletionResultType]::ParameterValue, 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)')
            [CompletionResult]::new('useq', 'useq', [CompletionResultType]::ParameterValue, 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;import;squid-config' {
            [CompletionResult]::new('--objective', '--objective', [CompletionResultType]::ParameterName, 'The objective in use, from Squid''s objectives (2x, 4x, 10x, 20x, 40x, 50x, 60x)')
            [CompletionResult]::new('--channels', '--channels', [CompletionResultType]::ParameterName, 'Squid''s channel table (machine_configs/illumination_channel_config.yaml) [default: the one where Squid keeps it beside the configuration folder, else Squid''s standard table]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write here instead of standard output (refused if it exists, unless --force)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write here instead of standard output (refused if it exists, unless --force)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the output file if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;import;squid-acquisition' {
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description the protocol is checked against [default: the built-in simulated microscope]; Squid''s channel names need one from `import squid-config`')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write here instead of standard output (refused if it exists, unless --force)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write here instead of standard output (refused if it exists, unless --force)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the output file if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;import;useq' {
            [CompletionResult]::new('--intensity', '--intensity', [CompletionResultType]::ParameterName, 'Light intensity, which useq-schema does not record: PCT for every channel, or NAME=PCT for one (repeatable)')
            [CompletionResult]::new('--microscope', '--microscope', [CompletionResultType]::ParameterName, 'Microscope description the protocol is checked against, and whose field of view spaces grids that give none [default: the built-in simulated microscope]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write here instead of standard output (refused if it exists, unless --force)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write here instead of standard output (refused if it exists, unless --force)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the output file if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less log detail (-q warnings only, -qq errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'squidctl;import;help' {
            [CompletionResult]::new('squid-config', 'squid-config', [CompletionResultType]::ParameterValue, 'A microscope description for the `squid` driver from a Squid configuration_*.ini')
            [CompletionResult]::new('squid-acquisition', 'squid-acquisition', [CompletionResultType]::ParameterValue, 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)')
            [CompletionResult]::new('useq', 'useq', [CompletionResultType]::ParameterValue, 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'squidctl;import;help;squid-config' {
            break
        }
        'squidctl;import;help;squid-acquisition' {
            break
        }
        'squidctl;import;help;useq' {
            break
        }
        'squidctl;import;help;help' {
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
            [CompletionResult]::new('calibrate-plate', 'calibrate-plate', [CompletionResultType]::ParameterValue, 'Calibrate where a plate sits: find 2–3 reference wells'' edges in bright field (or take the stage positions you jogged to), fit offset, rotation and scale, and store them beside the microscope description for every plan of that plate')
            [CompletionResult]::new('emulate', 'emulate', [CompletionResultType]::ParameterValue, 'Emulate hardware on this machine, to rehearse squidctl without it')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)')
            [CompletionResult]::new('methods', 'methods', [CompletionResultType]::ParameterValue, 'Named protocols stored with a microscope''s queue (squidctl YAML or Squid''s acquisition configuration), checked and estimated when stored; `submit --method NAME` runs one')
            [CompletionResult]::new('preflight', 'preflight', [CompletionResultType]::ParameterValue, 'Check a protocol or a method before the plate is fetched: validation, the estimate, free disk against the need, the devices, the lock and reservation, autofocus calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'List a microscope''s queue: state, priority, what each task waits on, predicted start and end')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one queued task: its settings, transitions and run')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a task: at once if it has not started, else at the run''s next safe point')
            [CompletionResult]::new('hold', 'hold', [CompletionResultType]::ParameterValue, 'Keep a task, or the whole queue, from starting (running tasks go on)')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Let a held task, or the held queue, start again')
            [CompletionResult]::new('move', 'move', [CompletionResultType]::ParameterValue, 'Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that task in its queue instead')
            [CompletionResult]::new('home', 'home', [CompletionResultType]::ParameterValue, 'Connect and home every axis of the stage')
            [CompletionResult]::new('snap', 'snap', [CompletionResultType]::ParameterValue, 'Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)')
            [CompletionResult]::new('focus', 'focus', [CompletionResultType]::ParameterValue, 'Run the autofocus once where the stage is, and say the z it found and how sure it is')
            [CompletionResult]::new('lights', 'lights', [CompletionResultType]::ParameterValue, 'Turn a light on for a while (then off again), or every light off')
            [CompletionResult]::new('filter', 'filter', [CompletionResultType]::ParameterValue, 'Turn the filter wheel to a position')
            [CompletionResult]::new('act', 'act', [CompletionResultType]::ParameterValue, 'Do the action JSON describes (how a worker carries out an action task)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The instrument''s state: idle, reserved, running, paused, error…, where the stage is, which lights are on, the running task, the reservation and the latest fault')
            [CompletionResult]::new('faults', 'faults', [CompletionResultType]::ParameterValue, 'The fault history (what tasks, actions and emergency stops ended with), or with --codes every fault code with its category and advice')
            [CompletionResult]::new('reserve', 'reserve', [CompletionResultType]::ParameterValue, 'Reserve the microscope for one client (only its tasks start) for a while; again to renew, --release to end it')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Emergency stop: every light off at once, the running task stopped at the frame in flight, nothing starts again until `squidctl reset`')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Clear an emergency stop: the queue and actions may start again')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a running task at its next safe point (lights off), until `unpause`')
            [CompletionResult]::new('unpause', 'unpause', [CompletionResultType]::ParameterValue, 'Let a paused task go on')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait for tasks to end; exit with their run''s exit code')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'Print the queue''s event log (one line per event, JSON with --json), and follow it')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List ended tasks')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Remove ended tasks older than --keep from the queue (their run directories stay)')
            [CompletionResult]::new('worker', 'worker', [CompletionResultType]::ParameterValue, 'Carry out a microscope''s queue, one task at a time')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the queue over HTTP (a local API and a live status page)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Make a microscope description or a protocol from what you already have: a Squid configuration file or acquisition folder, a useq-schema sequence')
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
        'squidctl;help;calibrate-plate' {
            break
        }
        'squidctl;help;emulate' {
            [CompletionResult]::new('mcu', 'mcu', [CompletionResultType]::ParameterValue, 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM')
            break
        }
        'squidctl;help;emulate;mcu' {
            break
        }
        'squidctl;help;submit' {
            break
        }
        'squidctl;help;methods' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Store FILE as method NAME (checked against the microscope first)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every method with its estimate')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One method: its summary and the protocol that runs')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a method (refused while a queued task was submitted from it)')
            break
        }
        'squidctl;help;methods;add' {
            break
        }
        'squidctl;help;methods;list' {
            break
        }
        'squidctl;help;methods;show' {
            break
        }
        'squidctl;help;methods;rm' {
            break
        }
        'squidctl;help;preflight' {
            break
        }
        'squidctl;help;queue' {
            break
        }
        'squidctl;help;show' {
            break
        }
        'squidctl;help;cancel' {
            break
        }
        'squidctl;help;hold' {
            break
        }
        'squidctl;help;release' {
            break
        }
        'squidctl;help;move' {
            break
        }
        'squidctl;help;home' {
            break
        }
        'squidctl;help;snap' {
            break
        }
        'squidctl;help;focus' {
            break
        }
        'squidctl;help;lights' {
            break
        }
        'squidctl;help;filter' {
            break
        }
        'squidctl;help;act' {
            break
        }
        'squidctl;help;status' {
            break
        }
        'squidctl;help;faults' {
            break
        }
        'squidctl;help;reserve' {
            break
        }
        'squidctl;help;stop' {
            break
        }
        'squidctl;help;reset' {
            break
        }
        'squidctl;help;pause' {
            break
        }
        'squidctl;help;unpause' {
            break
        }
        'squidctl;help;wait' {
            break
        }
        'squidctl;help;events' {
            break
        }
        'squidctl;help;history' {
            break
        }
        'squidctl;help;gc' {
            break
        }
        'squidctl;help;worker' {
            break
        }
        'squidctl;help;serve' {
            break
        }
        'squidctl;help;import' {
            [CompletionResult]::new('squid-config', 'squid-config', [CompletionResultType]::ParameterValue, 'A microscope description for the `squid` driver from a Squid configuration_*.ini')
            [CompletionResult]::new('squid-acquisition', 'squid-acquisition', [CompletionResultType]::ParameterValue, 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)')
            [CompletionResult]::new('useq', 'useq', [CompletionResultType]::ParameterValue, 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it')
            break
        }
        'squidctl;help;import;squid-config' {
            break
        }
        'squidctl;help;import;squid-acquisition' {
            break
        }
        'squidctl;help;import;useq' {
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
