
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
            cand emulate 'Emulate hardware on this machine, to rehearse squidctl without it'
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
            cand --queue-memory 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]'
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
            cand --queue-memory 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]'
            cand --progress 'Progress bars: on a terminal (auto), always, or never (plain lines)'
            cand --progress-interval 'Without bars, print a progress line this often'
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
            cand --queue-memory 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]'
            cand --progress 'Progress bars: on a terminal (auto), always, or never (plain lines)'
            cand --progress-interval 'Without bars, print a progress line this often'
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
            cand --fault 'A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte received or sent), silence:N:DUR, stall:N:DUR, delay:N:DUR, unplug:N:DUR, reboot:N (after the N-th command, heartbeats not counted), late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)'
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
            cand emulate 'Emulate hardware on this machine, to rehearse squidctl without it'
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
        &'squidctl;help;emulate'= {
            cand mcu 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port''s path as its first line, serves until SIGINT or SIGTERM'
        }
        &'squidctl;help;emulate;mcu'= {
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
