
use builtin;
use str;

set edit:completion:arg-completer[squidctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'squidctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'squidctl'= {
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand validate 'Check protocols against the microscope description without running anything'
            cand plan 'Stream the events a protocol expands into (first line at once, even for huge plans)'
            cand simulate 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate'
            cand acquire 'Run a protocol on the microscope'
            cand devices 'Show the resolved microscope and check that each device answers'
            cand resume 'Continue an interrupted run in its own directory'
            cand verify 'Check that every file of a run is present, readable and intact'
            cand report 'Summarise a run, finished or still running'
            cand calibrate-af 'Calibrate the laser autofocus: step z around the focus, fit the spot''s shift per µm and write the calibration file the description names'
            cand calibrate-plate 'Calibrate where a plate sits: find 2–3 reference wells'' edges in bright field (or take the stage positions you jogged to), fit offset, rotation and scale, and store them beside the microscope description for every plan of that plate'
            cand emulate 'Emulate hardware on this machine, to rehearse squidctl without it'
            cand submit 'Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)'
            cand methods 'Named protocols stored with a microscope''s queue (squidctl YAML or Squid''s acquisition configuration), checked and estimated when stored; `submit --method NAME` runs one'
            cand preflight 'Check a protocol or a method before the plate is fetched: validation, the estimate, free disk against the need, the devices, the lock and reservation, autofocus calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid'
            cand queue 'List a microscope''s queue: state, priority, what each task waits on, predicted start and end'
            cand show 'Show one queued task: its settings, transitions and run'
            cand cancel 'Cancel a task: at once if it has not started, else at the run''s next safe point'
            cand hold 'Keep a task, or the whole queue, from starting (running tasks go on)'
            cand release 'Let a held task, or the held queue, start again'
            cand move 'Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that task in its queue instead'
            cand home 'Connect and home every axis of the stage'
            cand snap 'Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)'
            cand focus 'Run the autofocus once where the stage is, and say the z it found and how sure it is'
            cand lights 'Turn a light on for a while (then off again), or every light off'
            cand filter 'Turn the filter wheel to a position'
            cand act 'Do the action JSON describes (how a worker carries out an action task)'
            cand status 'The instrument''s state: idle, reserved, running, paused, error…, where the stage is, which lights are on, the running task, the reservation and the latest fault'
            cand faults 'The fault history (what tasks, actions and emergency stops ended with), or with --codes every fault code with its category and advice'
            cand reserve 'Reserve the microscope for one client (only its tasks start) for a while; again to renew, --release to end it'
            cand stop 'Emergency stop: every light off at once, the running task stopped at the frame in flight, nothing starts again until `squidctl reset`'
            cand reset 'Clear an emergency stop: the queue and actions may start again'
            cand pause 'Pause a running task at its next safe point (lights off), until `unpause`'
            cand unpause 'Let a paused task go on'
            cand wait 'Wait for tasks to end; exit with their run''s exit code'
            cand events 'Print the queue''s event log (one line per event, JSON with --json), and follow it'
            cand history 'List ended tasks'
            cand gc 'Remove ended tasks older than --keep from the queue (their run directories stay)'
            cand worker 'Carry out a microscope''s queue, one task at a time'
            cand serve 'Serve the queue over HTTP (a local API and a live status page)'
            cand import 'Make a microscope description or a protocol from what you already have: a Squid configuration file or acquisition folder, a useq-schema sequence'
            cand completions 'Print shell completions (bash, zsh, fish, elvish, powershell)'
            cand man 'Print a man page (of squidctl, or of one command)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;validate'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --set 'Override a protocol value, e.g. --set time.count=3 (repeatable)'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;plan'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --set 'Override a protocol value, e.g. --set time.count=3 (repeatable)'
            cand --format 'Output format'
            cand --limit 'Stop after N events'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;simulate'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --set 'Override a protocol value, e.g. --set time.count=3 (repeatable)'
            cand --output 'With --estimate: where runs would be written [default: the protocol''s output.directory]'
            cand --write 'Keep the simulated images: write a run directory under DIR'
            cand --time-scale 'Real seconds per simulated second (0: as fast as possible)'
            cand --savers 'Saver threads [default: one per core, at least 2]'
            cand --queue-frames 'Most frames waiting to be written [default: from available memory]'
            cand --queue-memory 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]'
            cand --progress 'Progress bars: on a terminal (auto), always, or never (plain lines)'
            cand --progress-interval 'Without bars, print a progress line this often'
            cand --estimate 'Print positions, frames, bytes, time per round and total, without running'
            cand --force 'Start even if the estimated size exceeds the free space'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'squidctl;acquire'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --set 'Override a protocol value, e.g. --set time.count=3 (repeatable)'
            cand --output 'Parent directory for the run [default: the protocol''s output.directory]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --savers 'Saver threads [default: one per core, at least 2]'
            cand --queue-frames 'Most frames waiting to be written [default: from available memory]'
            cand --queue-memory 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]'
            cand --progress 'Progress bars: on a terminal (auto), always, or never (plain lines)'
            cand --progress-interval 'Without bars, print a progress line this often'
            cand --queue-task 'Run as task TASK_DIR of a queue (set by `squidctl worker`)'
            cand --force 'Start even if the estimated size exceeds the free space'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'squidctl;devices'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --timeout 'How long each device may take to answer'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;resume'= {
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --savers 'Saver threads [default: one per core, at least 2]'
            cand --queue-frames 'Most frames waiting to be written [default: from available memory]'
            cand --queue-memory 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 512 MiB]'
            cand --progress 'Progress bars: on a terminal (auto), always, or never (plain lines)'
            cand --progress-interval 'Without bars, print a progress line this often'
            cand --queue-task 'Run as task TASK_DIR of a queue (set by `squidctl worker`)'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'squidctl;verify'= {
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;report'= {
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;calibrate-af'= {
            cand --microscope 'Microscope description YAML (with a `laser_autofocus` that has a `calibration:` file)'
            cand --z 'Where the sample''s surface is in focus [default: the description''s stage.focus_z]'
            cand --xy 'Move the stage here first, e.g. 20mm,15mm [default: where it is after connecting]'
            cand --steps 'Positions on each side of the focus'
            cand --step 'Distance between positions'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;calibrate-plate'= {
            cand --microscope 'Microscope description YAML (the calibration is stored beside it)'
            cand --plate 'The plate format: 6, 12, 24, 48, 96, 384 or 1536'
            cand --protocol 'Calibrate the plate this protocol images (its `format` or `custom` plate)'
            cand --wells 'Reference wells to find [default: three corners, e.g. A1,A12,H1]'
            cand --at 'A well''s centre you jogged to with `squidctl move`, e.g. A1=14.5mm,11.3mm (repeat for 2–3 wells); nothing is moved'
            cand --channel 'Bright-field channel to find the wells'' edges in [default: BF, else the first channel]'
            cand --exposure 'exposure'
            cand --intensity 'Light intensity, percent'
            cand --z 'Height to image at [default: the description''s stage.focus_z]'
            cand --json 'Print one JSON summary on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;emulate'= {
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand mcu 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;emulate;mcu'= {
            cand --link 'Also make this symlink point at the port (a stable name for microscope files)'
            cand --version 'The firmware version to report, e.g. 1.4 (1.0 to 1.15; 0.0 is legacy firmware)'
            cand --log 'Write what the board received and did as JSON lines to this file'
            cand --fault 'A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte received or sent), silence:W:DUR, stall:W:DUR, delay:W:DUR, unplug:W:DUR, reboot:W (W: after the N-th command, heartbeats not counted, or NAME#K: right after the K-th NAME command, e.g. turn-on-illumination#3), drop-ack:NAME#K[:COUNT] (its acknowledgements are lost), lose:NAME#K (the frame is lost on the wire), late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)'
            cand --noise 'Corrupt this fraction of bytes both ways, at random (e.g. 0.001)'
            cand --seed 'Seed for --noise'
            cand --camera 'Also serve a GigE camera at this local address (Aravis''s fake camera, MER2-like: trigger on Line2, wired to the board''s trigger output); needs the genicam feature'
            cand --microscope 'The microscope description the host uses: its axes, signs, stage and channels place the sample and the autofocus spot the camera shows'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;emulate;help'= {
            cand mcu 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;emulate;help;mcu'= {
        }
        &'squidctl;emulate;help;help'= {
        }
        &'squidctl;submit'= {
            cand --method 'Submit a stored method (`squidctl methods list`) instead of a file; `--set` overrides it (`--set plate.wells=A1:B3`, `--set output.directory=DIR`)'
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --set 'Override a protocol value, e.g. --set time.count=3 (repeatable)'
            cand --priority 'Higher runs first (default 0)'
            cand --at 'Not before this time: 22:30, 2026-12-24T22:30, +2h'
            cand --expires 'Give up if not started by then: a duration from now (12h) or a time'
            cand --after 'Start only after these tasks (of the same microscope) have ended, however they ended'
            cand --after-ok 'Start only after these tasks (of the same microscope) completed (exit 0); skipped if one did not'
            cand --retries 'Retry a failed run (exit 1, 4, 5) this many times, continuing it with `resume`'
            cand --label 'A name for the task in listings'
            cand --holder 'The reservation this task belongs to: while the microscope is reserved (`squidctl reserve`), only its holder''s tasks start'
            cand --again 'Submit the protocol snapshot of task ID again (as it was queued)'
            cand --hold 'Submit held: it starts only after `squidctl release ID`'
            cand --wait 'Wait for the task to end and exit with its run''s exit code'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;methods'= {
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Store FILE as method NAME (checked against the microscope first)'
            cand list 'Every method with its estimate'
            cand show 'One method: its summary and the protocol that runs'
            cand rm 'Delete a method (refused while a queued task was submitted from it)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;methods;add'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --force 'Replace the method if it exists'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;methods;list'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;methods;show'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;methods;rm'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;methods;help'= {
            cand add 'Store FILE as method NAME (checked against the microscope first)'
            cand list 'Every method with its estimate'
            cand show 'One method: its summary and the protocol that runs'
            cand rm 'Delete a method (refused while a queued task was submitted from it)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;methods;help;add'= {
        }
        &'squidctl;methods;help;list'= {
        }
        &'squidctl;methods;help;show'= {
        }
        &'squidctl;methods;help;rm'= {
        }
        &'squidctl;methods;help;help'= {
        }
        &'squidctl;preflight'= {
            cand --method 'A stored method instead of a file'
            cand --set 'Override a protocol value (as for `acquire`), e.g. `--set plate.wells=A1:B3`'
            cand --holder 'The reservation holder it would run as (`submit --holder`)'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;queue'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --state 'Only tasks in these states (waiting counts as queued)'
            cand --json 'Print JSON on stdout'
            cand --all 'Every microscope''s queue'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'squidctl;show'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;cancel'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --now 'Stop a running task after the frame in flight (as Ctrl-C does), not at the next safe point'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;hold'= {
            cand --note 'Why, shown in `queue`'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --queue 'The whole queue ("I am at the microscope"), not one task'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;release'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --queue 'The whole queue ("I am at the microscope"), not one task'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;move'= {
            cand --to 'Move the stage to this named position of the microscope description (e.g. loading)'
            cand --x 'Move the stage''s x to this (or, with --by, by this), e.g. 20mm'
            cand --y 'Move y'
            cand --z 'Move z'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder (see `squidctl reserve`)'
            cand --before 'Just before this task (taking its priority)'
            cand --after 'Just after this task (taking its priority)'
            cand --priority 'Set its priority (higher runs first)'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --by '--x, --y, --z are offsets from where the stage is'
            cand --front 'First among its priority'
            cand --back 'Last among its priority'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;home'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it'
            cand --json 'Print one JSON object on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;snap'= {
            cand --channel 'The channel to image with (as the microscope description names it)'
            cand --exposure 'Exposure, e.g. 20ms [default: 10ms]'
            cand --intensity 'Light intensity in % [default: 50]'
            cand -o 'Folder to save the image in'
            cand --output 'Folder to save the image in'
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it'
            cand --json 'Print one JSON object on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;focus'= {
            cand --method 'How to focus [default: laser when the microscope has one, else contrast]'
            cand --channel 'The channel a contrast autofocus images with [default: the first]'
            cand --range 'How far a contrast autofocus searches, e.g. 40um [default: 40um]'
            cand --step 'Its step, e.g. 2um [default: 2um]'
            cand --exposure 'Its exposure [default: 10ms]'
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it'
            cand --json 'Print one JSON object on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;lights'= {
            cand --channel 'The channel whose light to turn on'
            cand --intensity 'Its intensity in % [default: 50]'
            cand --for 'How long it stays on, at most 10min; Ctrl-C turns it off sooner [default: 10s]'
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it'
            cand --json 'Print one JSON object on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;filter'= {
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it'
            cand --json 'Print one JSON object on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;act'= {
            cand --result 'Also write the JSON result here (ok or not), for the queue task that asked'
            cand --microscope 'Microscope description YAML [default: the built-in simulated microscope]'
            cand --wait-lock 'When another run holds the microscope, wait for it (as long as DURATION, or forever)'
            cand --holder 'Act as this reservation''s holder: while the microscope is reserved (`squidctl reserve`), only its holder acts on it'
            cand --json 'Print one JSON object on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;status'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;faults'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --since 'Only faults after this sequence number (the last one you saw)'
            cand --limit 'At most this many'
            cand --json 'Print JSON on stdout'
            cand --codes 'Print the table of fault codes (Markdown; with --json one object per code) instead'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;reserve'= {
            cand --ttl 'How long it lasts unless renewed, e.g. 10m (at most 24h)'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --release 'End the reservation instead'
            cand --force 'With --release: end it whoever holds it (the operator''s override)'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;stop'= {
            cand --reason 'Why, for the event log and the status'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --now 'Required: this is the emergency stop (to stop a task at a safe point, `cancel ID`)'
            cand --cut-motors 'Also disable the stage''s motor drivers, which stops a move in progress but loses the homing: every axis must be homed again after the reset'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;reset'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;pause'= {
            cand --at 'The boundary to pause at: the next FOV, the next well, or the next time point'
            cand --reason 'Why, recorded in the journal and the events'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;unpause'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;wait'= {
            cand --timeout 'Give up after this long (exit 124)'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;events'= {
            cand --since 'Only events after this sequence number'
            cand --task 'Only this task''s events: 5, or MICROSCOPE/5'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand -f 'Keep printing new events as they come'
            cand --follow 'Keep printing new events as they come'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;history'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --since 'Only tasks that ended within this long'
            cand --state 'Only tasks in these states'
            cand --json 'Print JSON on stdout'
            cand --all 'Every microscope''s queue'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'squidctl;gc'= {
            cand --keep 'Keep ended tasks (and events) younger than this'
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --dry-run 'Say what would be removed, remove nothing'
            cand --json 'Print JSON on stdout'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;worker'= {
            cand --microscope 'Microscope description YAML whose queue this is [default: the built-in simulated microscope]'
            cand --on-finish 'Run this shell command when a task ends or the queue is held (the task as JSON on stdin)'
            cand --check-cmd 'A hold condition: at each safe point, suspend the run while this shell command fails'
            cand --check-every 'Run the hold checks at most this often'
            cand --settle 'A suspended run goes on once its conditions have held for this long'
            cand --retry-backoff 'First wait before a retry (`submit --retries`); each next one waits twice as long, at most 10 min'
            cand --json 'Print JSON on stdout'
            cand --exit-when-empty 'Exit when no task is left that could start without someone''s help'
            cand --hold-on-fail 'Also hold the queue after a failed run (exit 1); a hang (4) or an output error (5) always does'
            cand --no-disk-check 'Do not suspend a run when its disk has less free space than the rest of it needs'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;serve'= {
            cand --listen 'Where to listen: unix:PATH, or ADDRESS:PORT (port 0 picks a free one) [default: unix:$XDG_RUNTIME_DIR/squidctl.sock]'
            cand --token-file 'Bearer tokens for TCP, one per line `TOKEN read,submit,control [NAME]`, mode 600; needed for an address other than loopback [default: SPOOL_ROOT/api-tokens, made with one admin token on first use]'
            cand --microscope 'Microscope description YAML whose queue to serve; repeat for several [default: the built-in simulated microscope]'
            cand --heartbeat 'Seconds between heartbeat comments on event streams (keeps proxies from closing them)'
            cand --output-root 'Tasks submitted through the API write their runs below this directory only [default: the directory serve starts in]'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;import'= {
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand squid-config 'A microscope description for the `squid` driver from a Squid configuration_*.ini'
            cand squid-acquisition 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)'
            cand useq 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;import;squid-config'= {
            cand --objective 'The objective in use, from Squid''s objectives (2x, 4x, 10x, 20x, 40x, 50x, 60x)'
            cand --channels 'Squid''s channel table (machine_configs/illumination_channel_config.yaml) [default: the one where Squid keeps it beside the configuration folder, else Squid''s standard table]'
            cand -o 'Write here instead of standard output (refused if it exists, unless --force)'
            cand --output 'Write here instead of standard output (refused if it exists, unless --force)'
            cand --force 'Replace the output file if it exists'
            cand --json 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;import;squid-acquisition'= {
            cand --microscope 'Microscope description the protocol is checked against [default: the built-in simulated microscope]; Squid''s channel names need one from `import squid-config`'
            cand -o 'Write here instead of standard output (refused if it exists, unless --force)'
            cand --output 'Write here instead of standard output (refused if it exists, unless --force)'
            cand --force 'Replace the output file if it exists'
            cand --json 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;import;useq'= {
            cand --intensity 'Light intensity, which useq-schema does not record: PCT for every channel, or NAME=PCT for one (repeatable)'
            cand --microscope 'Microscope description the protocol is checked against, and whose field of view spaces grids that give none [default: the built-in simulated microscope]'
            cand -o 'Write here instead of standard output (refused if it exists, unless --force)'
            cand --output 'Write here instead of standard output (refused if it exists, unless --force)'
            cand --force 'Replace the output file if it exists'
            cand --json 'Print one JSON summary on stdout (needs -o: without it the file goes to stdout)'
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;import;help'= {
            cand squid-config 'A microscope description for the `squid` driver from a Squid configuration_*.ini'
            cand squid-acquisition 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)'
            cand useq 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;import;help;squid-config'= {
        }
        &'squidctl;import;help;squid-acquisition'= {
        }
        &'squidctl;import;help;useq'= {
        }
        &'squidctl;import;help;help'= {
        }
        &'squidctl;completions'= {
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;man'= {
            cand -v 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand --verbose 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
            cand -q 'Less log detail (-q warnings only, -qq errors only)'
            cand --quiet 'Less log detail (-q warnings only, -qq errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'squidctl;help'= {
            cand validate 'Check protocols against the microscope description without running anything'
            cand plan 'Stream the events a protocol expands into (first line at once, even for huge plans)'
            cand simulate 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate'
            cand acquire 'Run a protocol on the microscope'
            cand devices 'Show the resolved microscope and check that each device answers'
            cand resume 'Continue an interrupted run in its own directory'
            cand verify 'Check that every file of a run is present, readable and intact'
            cand report 'Summarise a run, finished or still running'
            cand calibrate-af 'Calibrate the laser autofocus: step z around the focus, fit the spot''s shift per µm and write the calibration file the description names'
            cand calibrate-plate 'Calibrate where a plate sits: find 2–3 reference wells'' edges in bright field (or take the stage positions you jogged to), fit offset, rotation and scale, and store them beside the microscope description for every plan of that plate'
            cand emulate 'Emulate hardware on this machine, to rehearse squidctl without it'
            cand submit 'Queue a protocol on its microscope (checked now: a bad protocol fails here, not at 3 a.m.)'
            cand methods 'Named protocols stored with a microscope''s queue (squidctl YAML or Squid''s acquisition configuration), checked and estimated when stored; `submit --method NAME` runs one'
            cand preflight 'Check a protocol or a method before the plate is fetched: validation, the estimate, free disk against the need, the devices, the lock and reservation, autofocus calibration — one report, nothing changed; exit 0 ready, 1 a blocker, 2 invalid'
            cand queue 'List a microscope''s queue: state, priority, what each task waits on, predicted start and end'
            cand show 'Show one queued task: its settings, transitions and run'
            cand cancel 'Cancel a task: at once if it has not started, else at the run''s next safe point'
            cand hold 'Keep a task, or the whole queue, from starting (running tasks go on)'
            cand release 'Let a held task, or the held queue, start again'
            cand move 'Move the stage (to a named position, or to/by x, y, z); with a task ID, reorder that task in its queue instead'
            cand home 'Connect and home every axis of the stage'
            cand snap 'Take one image and save it as an OME-TIFF (with a PNG thumbnail beside it)'
            cand focus 'Run the autofocus once where the stage is, and say the z it found and how sure it is'
            cand lights 'Turn a light on for a while (then off again), or every light off'
            cand filter 'Turn the filter wheel to a position'
            cand act 'Do the action JSON describes (how a worker carries out an action task)'
            cand status 'The instrument''s state: idle, reserved, running, paused, error…, where the stage is, which lights are on, the running task, the reservation and the latest fault'
            cand faults 'The fault history (what tasks, actions and emergency stops ended with), or with --codes every fault code with its category and advice'
            cand reserve 'Reserve the microscope for one client (only its tasks start) for a while; again to renew, --release to end it'
            cand stop 'Emergency stop: every light off at once, the running task stopped at the frame in flight, nothing starts again until `squidctl reset`'
            cand reset 'Clear an emergency stop: the queue and actions may start again'
            cand pause 'Pause a running task at its next safe point (lights off), until `unpause`'
            cand unpause 'Let a paused task go on'
            cand wait 'Wait for tasks to end; exit with their run''s exit code'
            cand events 'Print the queue''s event log (one line per event, JSON with --json), and follow it'
            cand history 'List ended tasks'
            cand gc 'Remove ended tasks older than --keep from the queue (their run directories stay)'
            cand worker 'Carry out a microscope''s queue, one task at a time'
            cand serve 'Serve the queue over HTTP (a local API and a live status page)'
            cand import 'Make a microscope description or a protocol from what you already have: a Squid configuration file or acquisition folder, a useq-schema sequence'
            cand completions 'Print shell completions (bash, zsh, fish, elvish, powershell)'
            cand man 'Print a man page (of squidctl, or of one command)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'squidctl;help;validate'= {
        }
        &'squidctl;help;plan'= {
        }
        &'squidctl;help;simulate'= {
        }
        &'squidctl;help;acquire'= {
        }
        &'squidctl;help;devices'= {
        }
        &'squidctl;help;resume'= {
        }
        &'squidctl;help;verify'= {
        }
        &'squidctl;help;report'= {
        }
        &'squidctl;help;calibrate-af'= {
        }
        &'squidctl;help;calibrate-plate'= {
        }
        &'squidctl;help;emulate'= {
            cand mcu 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM'
        }
        &'squidctl;help;emulate;mcu'= {
        }
        &'squidctl;help;submit'= {
        }
        &'squidctl;help;methods'= {
            cand add 'Store FILE as method NAME (checked against the microscope first)'
            cand list 'Every method with its estimate'
            cand show 'One method: its summary and the protocol that runs'
            cand rm 'Delete a method (refused while a queued task was submitted from it)'
        }
        &'squidctl;help;methods;add'= {
        }
        &'squidctl;help;methods;list'= {
        }
        &'squidctl;help;methods;show'= {
        }
        &'squidctl;help;methods;rm'= {
        }
        &'squidctl;help;preflight'= {
        }
        &'squidctl;help;queue'= {
        }
        &'squidctl;help;show'= {
        }
        &'squidctl;help;cancel'= {
        }
        &'squidctl;help;hold'= {
        }
        &'squidctl;help;release'= {
        }
        &'squidctl;help;move'= {
        }
        &'squidctl;help;home'= {
        }
        &'squidctl;help;snap'= {
        }
        &'squidctl;help;focus'= {
        }
        &'squidctl;help;lights'= {
        }
        &'squidctl;help;filter'= {
        }
        &'squidctl;help;act'= {
        }
        &'squidctl;help;status'= {
        }
        &'squidctl;help;faults'= {
        }
        &'squidctl;help;reserve'= {
        }
        &'squidctl;help;stop'= {
        }
        &'squidctl;help;reset'= {
        }
        &'squidctl;help;pause'= {
        }
        &'squidctl;help;unpause'= {
        }
        &'squidctl;help;wait'= {
        }
        &'squidctl;help;events'= {
        }
        &'squidctl;help;history'= {
        }
        &'squidctl;help;gc'= {
        }
        &'squidctl;help;worker'= {
        }
        &'squidctl;help;serve'= {
        }
        &'squidctl;help;import'= {
            cand squid-config 'A microscope description for the `squid` driver from a Squid configuration_*.ini'
            cand squid-acquisition 'A protocol from a Squid acquisition folder (its `acquisition parameters.json`, `coordinates.csv` and channel settings)'
            cand useq 'A protocol from a useq-schema MDASequence (YAML or JSON), as pymmcore-plus runs it'
        }
        &'squidctl;help;import;squid-config'= {
        }
        &'squidctl;help;import;squid-acquisition'= {
        }
        &'squidctl;help;import;useq'= {
        }
        &'squidctl;help;completions'= {
        }
        &'squidctl;help;man'= {
        }
        &'squidctl;help;help'= {
        }
    ]
    $completions[$command]
}
