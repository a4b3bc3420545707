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
complete -c squidctl -n "__fish_squidctl_needs_command" -f -a "emulate" -d 'Emulate hardware on this machine, to rehearse squidctl without it'
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
complete -c squidctl -n "__fish_squidctl_using_subcommand simulate" -l queue-memory -d 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]' -r
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
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l queue-memory -d 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l progress -d 'Progress bars: on a terminal (auto), always, or never (plain lines)' -r -f -a "auto\t'Bars on a terminal, plain lines otherwise'
always\t'Bars even when stderr is not a terminal'
never\t'Never bars: plain lines only'"
complete -c squidctl -n "__fish_squidctl_using_subcommand acquire" -l progress-interval -d 'Without bars, print a progress line this often' -r
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
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l queue-memory -d 'Most memory the waiting frames may take, e.g. 2GiB [default: 1/8 of available memory, at most 2 GiB]' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l progress -d 'Progress bars: on a terminal (auto), always, or never (plain lines)' -r -f -a "auto\t'Bars on a terminal, plain lines otherwise'
always\t'Bars even when stderr is not a terminal'
never\t'Never bars: plain lines only'"
complete -c squidctl -n "__fish_squidctl_using_subcommand resume" -l progress-interval -d 'Without bars, print a progress line this often' -r
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
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -f -a "mcu" -d 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port\'s path as its first line, serves until SIGINT or SIGTERM'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and not __fish_seen_subcommand_from mcu help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l link -d 'Also make this symlink point at the port (a stable name for microscope files)' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l version -d 'The firmware version to report, e.g. 1.4 (1.0 to 1.15; 0.0 is legacy firmware)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l log -d 'Write what the board received and did as JSON lines to this file' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l fault -d 'A transport fault, repeatable: drop-rx:K, corrupt-rx:K, drop-tx:K, corrupt-tx:K (the K-th byte received or sent), silence:N:DUR, stall:N:DUR, delay:N:DUR, unplug:N:DUR, reboot:N (after the N-th command, heartbeats not counted), late-finalize:U (homing ends U µsteps short of its switch, so a move to 0 is refused)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l noise -d 'Corrupt this fraction of bytes both ways, at random (e.g. 0.001)' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l seed -d 'Seed for --noise' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l camera -d 'Also serve a GigE camera at this local address (Aravis\'s fake camera, MER2-like: trigger on Line2, wired to the board\'s trigger output); needs the genicam feature' -r
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -l microscope -d 'The microscope description the host uses: its axes, signs, stage and channels place the sample and the autofocus spot the camera shows' -r -F
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from mcu" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "mcu" -d 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port\'s path as its first line, serves until SIGINT or SIGTERM'
complete -c squidctl -n "__fish_squidctl_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand completions" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand completions" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand man" -s v -l verbose -d 'More log detail (-v debug, -vv trace); `SQUIDCTL_LOG` filters finer'
complete -c squidctl -n "__fish_squidctl_using_subcommand man" -s q -l quiet -d 'Less log detail (-q warnings only, -qq errors only)'
complete -c squidctl -n "__fish_squidctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "validate" -d 'Check protocols against the microscope description without running anything'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "plan" -d 'Stream the events a protocol expands into (first line at once, even for huge plans)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "simulate" -d 'Dry-run a protocol on the simulated microscope, or estimate it with --estimate'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "acquire" -d 'Run a protocol on the microscope'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "devices" -d 'Show the resolved microscope and check that each device answers'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "resume" -d 'Continue an interrupted run in its own directory'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "verify" -d 'Check that every file of a run is present, readable and intact'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "report" -d 'Summarise a run, finished or still running'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "calibrate-af" -d 'Calibrate the laser autofocus: step z around the focus, fit the spot\'s shift per µm and write the calibration file the description names'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "emulate" -d 'Emulate hardware on this machine, to rehearse squidctl without it'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "man" -d 'Print a man page (of squidctl, or of one command)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and not __fish_seen_subcommand_from validate plan simulate acquire devices resume verify report calibrate-af emulate completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c squidctl -n "__fish_squidctl_using_subcommand help; and __fish_seen_subcommand_from emulate" -f -a "mcu" -d 'The Squid microcontroller board (firmware 1.x) on a pseudo-terminal: prints the port\'s path as its first line, serves until SIGINT or SIGTERM'
