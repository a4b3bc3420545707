# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_squidctl_global_optspecs
    string join \n v/verbose q/quiet h/help V/version
end

function __fish_squidctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_squidctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_squidctl_using_subcommand
    set -l cmd (__fish_squidctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c squidctl -n "__fish_squidctl_needs_command" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_needs_command" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c squidctl -n "__fish_squidctl_needs_command" -s V -l version -d 'Print version'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "validate" -d 'Check protocols against the microscope description without running anything'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "plan" -d 'Stream the events a protocol expands into (first line at once, even for huge plans)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "simulate" -d 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "acquire" -d 'Run a protocol on the microscope'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "devices" -d 'Show the resolved microscope and check that each device answers'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "resume" -d 'Continue an interrupted run in its own directory'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "verify" -d 'Check that every file of a run is present, readable and intact'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "report" -d 'Summarise a run, finished or still running'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "calibrate-af" -d 'Calibrate the laser autofocus: step z around the focus, fit the spot\'s shift per µm and write the calibration file the description names'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "calibrate-plate" -d 'Calibrate where a plate sits: find 2–3 reference wells\' edges in bright field (or take the stage positions you jogged to), fit offset, rotation and scale, and store them beside the microscope description for every plan of that plate'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "emulate" -d 'Emulate hardware on this machine, to rehearse squidctl without it'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "submit" -d 'Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "methods" -d 'Named protocols stored with a microscope\'s queue (squidctl YAML or Squid\'s acquisition configuration), checked and estimated when stored; `submit --method NAME` runs one'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "preflight" -d 'Check a protocol or a method before the plate is fetched: validation, the estimate, free disk against the need, the devices, the lock and reservation, autofocus calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "queue" -d 'List a microscope\'s queue: state, priority, what each task waits on, predicted start and end'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "show" -d 'Show one queued task: its settings, transitions and run'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "cancel" -d 'Cancel a task: at once if it has not started, else at the run\'s next safe point'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "hold" -d 'Keep a task, or the whole queue, from starting (running tasks go on)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "release" -d 'Let a held task, or the held queue, start again'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "move" -d 'Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that task in its queue instead'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "home" -d 'Connect and home every axis of the stage'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "snap" -d 'Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "focus" -d 'Run the autofocus once where the stage is, and say the z it found and how sure it is'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "lights" -d 'Turn a light on for a while (then off again), or every light off'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "filter" -d 'Turn the filter wheel to a position'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "act" -d 'Do the action JSON describes (how a worker carries out an action task)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "status" -d 'The instrument\'s state: idle, reserved, running, paused, error…, where the stage is, which lights are on, the running task, the reservation and the latest fault'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "faults" -d 'The fault history (what tasks, actions and emergency stops ended with), or with --codes every fault code with its category and advice'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "reserve" -d 'Reserve the microscope for one client (only its tasks start) for a while; again to renew, --release to end it'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "stop" -d 'Emergency stop: every light off at once, the running task stopped at the frame in flight, nothing starts again until `squidctl reset`'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "reset" -d 'Clear an emergency stop: the queue and actions may start again'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "pause" -d 'Pause a running task at its next safe point (lights off), until `unpause`'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "unpause" -d 'Let a paused task go on'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "wait" -d 'Wait for tasks to end; exit with their run\'s exit code'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "events" -d 'Print the queue\'s event log (one line per event, JSON with --json), and follow it'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "history" -d 'List ended tasks'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "gc" -d 'Remove ended tasks older than --keep from the queue (their run directories stay)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "worker" -d 'Carry out a microscope\'s queue, one task at a time'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "serve" -d 'Serve the queue over HTTP (a local API and a live status page)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "import" -d 'Make a microscope description or a protocol from what you already have: a Squid configuration file or acquisition folder, a useq-schema sequence'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "man" -d 'Print a man page (of squidctl, or of one command)'
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand validate" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand validate" -l set -d 'Override a protocol value, e.g. --set time.count=3 (repeatable)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand validate" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand validate" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand validate" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand validate" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -l set -d 'Override a protocol value, e.g. --set time.count=3 (repeatable)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -l format -d 'Output format' -r -f -a "table\t''
csv\t''
jsonl\t''"
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -l limit -d 'Stop after N events' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand plan" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l set -d 'Override a protocol value, e.g. --set time.count=3 (repeatable)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l output -d 'With --estimate: where runs would be written [default: the protocol\'s output.directory]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l write -d 'Keep the simulated images: write a run directory under DIR' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l time-scale -d 'Real seconds per simulated second (0: as fast as possible)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l savers -d 'Saver threads [default: one per core, at least 2]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l queue-frames -d 'Most frames waiting to be written [default: from available memory]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l queue-memory -d 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l progress -d 'Progress bars: on a terminal (auto), always, or never (plain lines)' -r -f -a "auto\t'Bars on a terminal, plain lines otherwise'
always\t'Bars even when stderr is not a terminal'
never\t'Never bars: plain lines only'"
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l progress-interval -d 'Without bars, print a progress line this often' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l estimate -d 'Print positions, frames, bytes, time per round and total, without running'
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l force -d 'Start even if the estimated size exceeds the free space'
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l set -d 'Override a protocol value, e.g. --set time.count=3 (repeatable)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l output -d 'Parent directory for the run [default: the protocol\'s output.directory]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l savers -d 'Saver threads [default: one per core, at least 2]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l queue-frames -d 'Most frames waiting to be written [default: from available memory]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l queue-memory -d 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l progress -d 'Progress bars: on a terminal (auto), always, or never (plain lines)' -r -f -a "auto\t'Bars on a terminal, plain lines otherwise'
always\t'Bars even when stderr is not a terminal'
never\t'Never bars: plain lines only'"
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l progress-interval -d 'Without bars, print a progress line this often' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l queue-task -d 'Run as task TASK_DIR of a queue (set by `squidctl worker`)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l force -d 'Start even if the estimated size exceeds the free space'
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c squidctl -n "__fish_squidctl_using_subcommand devices" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand devices" -l timeout -d 'How long each device may take to answer' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand devices" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand devices" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand devices" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand devices" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l savers -d 'Saver threads [default: one per core, at least 2]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l queue-frames -d 'Most frames waiting to be written [default: from available memory]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l queue-memory -d 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l progress -d 'Progress bars: on a terminal (auto), always, or never (plain lines)' -r -f -a "auto\t'Bars on a terminal, plain lines otherwise'
always\t'Bars even when stderr is not a terminal'
never\t'Never bars: plain lines only'"
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l progress-interval -d 'Without bars, print a progress line this often' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l queue-task -d 'Run as task TASK_DIR of a queue (set by `squidctl worker`)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c squidctl -n "__fish_squidctl_using_subcommand verify" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand verify" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand verify" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand verify" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand report" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand report" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand report" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand report" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -l microscope -d 'Microscope description YAML (with a `laser_autofocus` that has a `calibration:` file)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -l z -d 'Where the sample\'s surface is in focus [default: the description\'s stage.focus_z]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -l xy -d 'Move the stage here first, e.g. 20mm,15mm [default: where it is after connecting]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -l steps -d 'Positions on each side of the focus' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -l step -d 'Distance between positions' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-af" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l microscope -d 'Microscope description YAML (the calibration is stored beside it)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l plate -d 'The plate format: 6, 12, 24, 48, 96, 384 or 1536' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l protocol -d 'Calibrate the plate this protocol images (its `format` or `custom` plate)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l wells -d 'Reference wells to find [default: three corners, e.g. A1,A12,H1]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l at -d 'A well\'s centre you jogged to with `squidctl move`, e.g. A1=14.5mm,11.3mm (repeat for 2–3 wells); nothing is moved' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l channel -d 'Bright-field channel to find the wells\' edges in [default: BF, else the first channel]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l exposure -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l intensity -d 'Light intensity, percent' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l z -d 'Height to image at [default: the description\'s stage.focus_z]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -l json -d 'Print one JSON summary on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand calibrate-plate" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -f -a "mcu" -d 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port\'s path as its first line, serves until SIGINT or SIGTERM'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l link -d 'Also make this symlink point at the port (a stable name for microscope files)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l version -d 'The firmware version to report, e.g. 1.4 (1.0 to 1.15; 0.0 is legacy firmware)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l log -d 'Write what the board received and did as JSON lines to this file' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l fault -d 'A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte received or sent), silence:W:DUR, stall:W:DUR, delay:W:DUR, unplug:W:DUR, reboot:W (W: after the N-th command, heartbeats not counted, or NAME#K: right after the K-th NAME command, e.g. turn-on-illumination#3), drop-ack:NAME#K[:COUNT] (its acknowledgements are lost), lose:NAME#K (the frame is lost on the wire), late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l noise -d 'Corrupt this fraction of bytes both ways, at random (e.g. 0.001)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l seed -d 'Seed for --noise' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l camera -d 'Also serve a GigE camera at this local address (Aravis\'s fake camera, MER2-like: trigger on Line2, wired to the board\'s trigger output); needs the genicam feature' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l microscope -d 'The microscope description the host uses: its axes, signs, stage and channels place the sample and the autofocus spot the camera shows' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "mcu" -d 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port\'s path as its first line, serves until SIGINT or SIGTERM'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l method -d 'Submit a stored method (`squidctl methods list`) instead of a file; `--set` overrides it (`--set plate.wells=A1:B3`, `--set output.directory=DIR`)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l set -d 'Override a protocol value, e.g. --set time.count=3 (repeatable)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l priority -d 'Higher runs first (default 0)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l at -d 'Not before this time: 22:30, 2026-12-24T22:30, +2h' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l expires -d 'Give up if not started by then: a duration from now (12h) or a time' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l after -d 'Start only after these tasks (of the same microscope) have ended, however they ended' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l after-ok -d 'Start only after these tasks (of the same microscope) completed (exit 0); skipped if one did not' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l retries -d 'Retry a failed run (exit 1, 4, 5) this many times, continuing it with `resume`' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l label -d 'A name for the task in listings' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l holder -d 'The reservation this task belongs to: while the microscope is reserved (`squidctl reserve`), only its holder\'s tasks start' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l again -d 'Submit the protocol snapshot of task ID again (as it was queued)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l hold -d 'Submit held: it starts only after `squidctl release ID`'
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l wait -d 'Wait for the task to end and exit with its run\'s exit code'
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand submit" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -f -a "add" -d 'Store FILE as method NAME (checked against the microscope first)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -f -a "list" -d 'Every method with its estimate'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -f -a "show" -d 'One method: its summary and the protocol that runs'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -f -a "rm" -d 'Delete a method (refused while a queued task was submitted from it)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and not __fish_seen_subcommand_from add list show rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from add" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from add" -l force -d 'Replace the method if it exists'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from add" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from list" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from list" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from show" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from show" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from rm" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from rm" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from help" -f -a "add" -d 'Store FILE as method NAME (checked against the microscope first)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every method with its estimate'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from help" -f -a "show" -d 'One method: its summary and the protocol that runs'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Delete a method (refused while a queued task was submitted from it)'
complete -c squidctl -n "__fish_squidctl_using_subcommand methods; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -l method -d 'A stored method instead of a file' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -l set -d 'Override a protocol value (as for `acquire`), e.g. `--set plate.wells=A1:B3`' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -l holder -d 'The reservation holder it would run as (`submit --holder`)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand preflight" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -l state -d 'Only tasks in these states (waiting counts as queued)' -r -f -a "held\t''
queued\t''
running\t''
pausing\t'A pause was asked for; the run goes on to its next safe point'
paused\t''
suspended\t'A hold condition failed at a safe point; the run waits for it to recover'
cancelling\t'A cancel was asked for; the run goes on to its next safe point'
interrupted\t'Its worker died (kill -9, a reboot): continued through `resume` by the next worker'
completed\t''
completed-with-errors\t''
failed\t''
cancelled\t''
expired\t'Not started before its `--expires` time'
skipped\t'An `--after-ok` dependency did not complete'"
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -l all -d 'Every microscope\'s queue'
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand queue" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c squidctl -n "__fish_squidctl_using_subcommand show" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand show" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand show" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand show" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand show" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand cancel" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand cancel" -l now -d 'Stop a running task after the frame in flight (as Ctrl-C does), not at the next safe point'
complete -c squidctl -n "__fish_squidctl_using_subcommand cancel" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand cancel" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand cancel" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand cancel" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -l note -d 'Why, shown in `queue`' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -l queue -d 'The whole queue ("I am at the microscope"), not one task'
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand hold" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand release" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand release" -l queue -d 'The whole queue ("I am at the microscope"), not one task'
complete -c squidctl -n "__fish_squidctl_using_subcommand release" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand release" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand release" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand release" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l to -d 'Move the stage to this named position of the microscope description (e.g. loading)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l x -d 'Move the stage\'s x to this (or, with --by, by this), e.g. 20mm' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l y -d 'Move y' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l z -d 'Move z' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l holder -d 'Act as this reservation\'s holder (see `squidctl reserve`)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l before -d 'Just before this task (taking its priority)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l after -d 'Just after this task (taking its priority)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l priority -d 'Set its priority (higher runs first)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l by -d '--x, --y, --z are offsets from where the stage is'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l front -d 'First among its priority'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l back -d 'Last among its priority'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand move" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -l holder -d 'Act as this reservation\'s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -l json -d 'Print one JSON object on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand home" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l channel -d 'The channel to image with (as the microscope description names it)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l exposure -d 'Exposure, e.g. 20ms [default: 10ms]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l intensity -d 'Light intensity in % [default: 50]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -s o -l output -d 'Folder to save the image in' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l holder -d 'Act as this reservation\'s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -l json -d 'Print one JSON object on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand snap" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l method -d 'How to focus [default: laser when the microscope has one, else contrast]' -r -f -a "laser\t''
contrast\t''"
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l channel -d 'The channel a contrast autofocus images with [default: the first]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l range -d 'How far a contrast autofocus searches, e.g. 40um [default: 40um]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l step -d 'Its step, e.g. 2um [default: 2um]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l exposure -d 'Its exposure [default: 10ms]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l holder -d 'Act as this reservation\'s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -l json -d 'Print one JSON object on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand focus" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l channel -d 'The channel whose light to turn on' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l intensity -d 'Its intensity in % [default: 50]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l for -d 'How long it stays on, at most 10min; Ctrl-C turns it off sooner [default: 10s]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l holder -d 'Act as this reservation\'s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -l json -d 'Print one JSON object on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand lights" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -l holder -d 'Act as this reservation\'s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -l json -d 'Print one JSON object on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand filter" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -l result -d 'Also write the JSON result here (ok or not), for the queue task that asked' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -l microscope -d 'Microscope description YAML [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -l wait-lock -d 'When another run holds the microscope, wait for it (as long as DURATION, or forever)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -l holder -d 'Act as this reservation\'s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -l json -d 'Print one JSON object on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand act" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand status" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand status" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand status" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand status" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -l since -d 'Only faults after this sequence number (the last one you saw)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -l limit -d 'At most this many' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -l codes -d 'Print the table of fault codes (Markdown; with --json one object per code) instead'
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand faults" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -l ttl -d 'How long it lasts unless renewed, e.g. 10m (at most 24h)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -l release -d 'End the reservation instead'
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -l force -d 'With --release: end it whoever holds it (the operator\'s override)'
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand reserve" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -l reason -d 'Why, for the event log and the status' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -l now -d 'Required: this is the emergency stop (to stop a task at a safe point, `cancel ID`)'
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -l cut-motors -d 'Also disable the stage\'s motor drivers, which stops a move in progress but loses the homing: every axis must be homed again after the reset'
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand stop" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand reset" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand reset" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand reset" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand reset" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand reset" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -l at -d 'The boundary to pause at: the next FOV, the next well, or the next time point' -r -f -a "fov\t''
well\t''
timepoint\t''"
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -l reason -d 'Why, recorded in the journal and the events' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand pause" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand unpause" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand unpause" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand unpause" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand unpause" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand unpause" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand wait" -l timeout -d 'Give up after this long (exit 124)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand wait" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand wait" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand wait" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand wait" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand wait" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -l since -d 'Only events after this sequence number' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -l task -d 'Only this task\'s events: 5, or MICROSCOPE/5' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -s f -l follow -d 'Keep printing new events as they come'
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand events" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -l since -d 'Only tasks that ended within this long' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -l state -d 'Only tasks in these states' -r -f -a "held\t''
queued\t''
running\t''
pausing\t'A pause was asked for; the run goes on to its next safe point'
paused\t''
suspended\t'A hold condition failed at a safe point; the run waits for it to recover'
cancelling\t'A cancel was asked for; the run goes on to its next safe point'
interrupted\t'Its worker died (kill -9, a reboot): continued through `resume` by the next worker'
completed\t''
completed-with-errors\t''
failed\t''
cancelled\t''
expired\t'Not started before its `--expires` time'
skipped\t'An `--after-ok` dependency did not complete'"
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -l all -d 'Every microscope\'s queue'
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -l keep -d 'Keep ended tasks (and events) younger than this' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -l dry-run -d 'Say what would be removed, remove nothing'
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand gc" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l microscope -d 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l on-finish -d 'Run this shell command when a task ends or the queue is held (the task as JSON on stdin)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l check-cmd -d 'A hold condition: at each safe point, suspend the run while this shell command fails' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l check-every -d 'Run the hold checks at most this often' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l settle -d 'A suspended run goes on once its conditions have held for this long' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l retry-backoff -d 'First wait before a retry (`submit --retries`); each next one waits twice as long, at most 10 min' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l json -d 'Print JSON on stdout'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l exit-when-empty -d 'Exit when no task is left that could start without someone\'s help'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l hold-on-fail -d 'Also hold the queue after a failed run (exit 1); a hang (4) or an output error (5) always does'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -l no-disk-check -d 'Do not suspend a run when its disk has less free space than the rest of it needs'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand worker" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -l listen -d 'Where to listen: unix:PATH, or ADDRESS:PORT (port 0 picks a free one) [default: unix:$XDG_RUNTIME_DIR/squidctl.sock]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -l token-file -d 'Bearer tokens for TCP, one per line `TOKEN read,submit,control [NAME]`, mode 600; needed for an address other than loopback [default: SPOOL_ROOT/api-tokens, made with one admin token on first use]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -l microscope -d 'Microscope description YAML whose queue to serve; repeat for several [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -l heartbeat -d 'Seconds between heartbeat comments on event streams (keeps proxies from closing them)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -l output-root -d 'Tasks submitted through the API write their runs below this directory only [default: the directory serve starts in]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand serve" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -f -a "squid-config" -d 'A microscope description for the `squid` driver from a Squid configuration_*.ini'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -f -a "squid-acquisition" -d 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -f -a "useq" -d 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and not __fish_seen_subcommand_from squid-config squid-acquisition useq help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -l objective -d 'The objective in use, from Squid\'s objectives (2x, 4x, 10x, 20x, 40x, 50x, 60x)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -l channels -d 'Squid\'s channel table (machine_configs/illumination_channel_config.yaml) [default: the one where Squid keeps it beside the configuration folder, else Squid\'s standard table]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -s o -l output -d 'Write here instead of standard output (refused if it exists, unless --force)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -l force -d 'Replace the output file if it exists'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -l json -d 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-config" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -l microscope -d 'Microscope description the protocol is checked against [default: the built-in simulated microscope]; Squid\'s channel names need one from `import squid-config`' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -s o -l output -d 'Write here instead of standard output (refused if it exists, unless --force)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -l force -d 'Replace the output file if it exists'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -l json -d 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from squid-acquisition" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -l intensity -d 'Light intensity, which useq-schema does not record: PCT for every channel, or NAME=PCT for one (repeatable)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -l microscope -d 'Microscope description the protocol is checked against, and whose field of view spaces grids that give none [default: the built-in simulated microscope]' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -s o -l output -d 'Write here instead of standard output (refused if it exists, unless --force)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -l force -d 'Replace the output file if it exists'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -l json -d 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from useq" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "squid-config" -d 'A microscope description for the `squid` driver from a Squid configuration_*.ini'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "squid-acquisition" -d 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "useq" -d 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it'
complete -c squidctl -n "__fish_squidctl_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand completions" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand completions" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand man" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand man" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "validate" -d 'Check protocols against the microscope description without running anything'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "plan" -d 'Stream the events a protocol expands into (first line at once, even for huge plans)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "simulate" -d 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "acquire" -d 'Run a protocol on the microscope'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "devices" -d 'Show the resolved microscope and check that each device answers'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "resume" -d 'Continue an interrupted run in its own directory'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "verify" -d 'Check that every file of a run is present, readable and intact'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "report" -d 'Summarise a run, finished or still running'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "calibrate-af" -d 'Calibrate the laser autofocus: step z around the focus, fit the spot\'s shift per µm and write the calibration file the description names'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "calibrate-plate" -d 'Calibrate where a plate sits: find 2–3 reference wells\' edges in bright field (or take the stage positions you jogged to), fit offset, rotation and scale, and store them beside the microscope description for every plan of that plate'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "emulate" -d 'Emulate hardware on this machine, to rehearse squidctl without it'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "submit" -d 'Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "methods" -d 'Named protocols stored with a microscope\'s queue (squidctl YAML or Squid\'s acquisition configuration), checked and estimated when stored; `submit --method NAME` runs one'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "preflight" -d 'Check a protocol or a method before the plate is fetched: validation, the estimate, free disk against the need, the devices, the lock and reservation, autofocus calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "queue" -d 'List a microscope\'s queue: state, priority, what each task waits on, predicted start and end'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "show" -d 'Show one queued task: its settings, transitions and run'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "cancel" -d 'Cancel a task: at once if it has not started, else at the run\'s next safe point'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "hold" -d 'Keep a task, or the whole queue, from starting (running tasks go on)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "release" -d 'Let a held task, or the held queue, start again'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "move" -d 'Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that task in its queue instead'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "home" -d 'Connect and home every axis of the stage'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "snap" -d 'Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "focus" -d 'Run the autofocus once where the stage is, and say the z it found and how sure it is'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "lights" -d 'Turn a light on for a while (then off again), or every light off'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "filter" -d 'Turn the filter wheel to a position'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "act" -d 'Do the action JSON describes (how a worker carries out an action task)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "status" -d 'The instrument\'s state: idle, reserved, running, paused, error…, where the stage is, which lights are on, the running task, the reservation and the latest fault'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "faults" -d 'The fault history (what tasks, actions and emergency stops ended with), or with --codes every fault code with its category and advice'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "reserve" -d 'Reserve the microscope for one client (only its tasks start) for a while; again to renew, --release to end it'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "stop" -d 'Emergency stop: every light off at once, the running task stopped at the frame in flight, nothing starts again until `squidctl reset`'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "reset" -d 'Clear an emergency stop: the queue and actions may start again'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "pause" -d 'Pause a running task at its next safe point (lights off), until `unpause`'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "unpause" -d 'Let a paused task go on'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "wait" -d 'Wait for tasks to end; exit with their run\'s exit code'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "events" -d 'Print the queue\'s event log (one line per event, JSON with --json), and follow it'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "history" -d 'List ended tasks'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "gc" -d 'Remove ended tasks older than --keep from the queue (their run directories stay)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "worker" -d 'Carry out a microscope\'s queue, one task at a time'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "serve" -d 'Serve the queue over HTTP (a local API and a live status page)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "import" -d 'Make a microscope description or a protocol from what you already have: a Squid configuration file or acquisition folder, a useq-schema sequence'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "man" -d 'Print a man page (of squidctl, or of one command)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af calibrate-plate emulate submit methods preflight queue show cancel hold release move home snap focus lights filter act status faults reserve stop reset pause unpause wait events history gc worker serve import completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from emulate" -f -a "mcu" -d 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port\'s path as its first line, serves until SIGINT or SIGTERM'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from methods" -f -a "add" -d 'Store FILE as method NAME (checked against the microscope first)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from methods" -f -a "list" -d 'Every method with its estimate'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from methods" -f -a "show" -d 'One method: its summary and the protocol that runs'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from methods" -f -a "rm" -d 'Delete a method (refused while a queued task was submitted from it)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "squid-config" -d 'A microscope description for the `squid` driver from a Squid configuration_*.ini'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "squid-acquisition" -d 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "useq" -d 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it'
