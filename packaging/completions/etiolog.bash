# SPDX-License-Identifier: Apache-2.0
# bash completion for etiolog. The commands and each command's options are
# read from the installed binary's own help, so they never go stale.
_etiolog() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  }
  local bin=${words[0]}
  if ((cword == 1)); then
    local commands
    commands=$("$bin" --help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
    mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
    return
  fi
  local command=${words[1]}
  case $prev in
    --format | -f)
      mapfile -t COMPREPLY < <(compgen -W "text json jsonl markdown github jira" -- "$cur")
      return
      ;;
    --color)
      mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
      return
      ;;
    --deployment)
      mapfile -t COMPREPLY < <(compgen -W "default docker-compose kubernetes systemd" -- "$cur")
      return
      ;;
    --cause)
      local causes
      causes=$("$bin" explain 2>/dev/null | awk '$2 == "cause" {print $1}')
      mapfile -t COMPREPLY < <(compgen -W "$causes" -- "$cur")
      return
      ;;
  esac
  if [[ $cur == -* ]]; then
    local options
    options=$("$bin" "$command" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    return
  fi
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -o filenames -F _etiolog etiolog
