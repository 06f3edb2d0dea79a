#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo/run-demo.sh — un banc de reconditionnement de démonstration, de zéro,
# sur une machine Debian 12, en root :
#   - installe les dépendances (apt-get) et compile refurb (meson, ninja) ;
#   - construit l'image du système de classe (Debian 12, Xfce, LibreOffice,
#     Firefox ESR, lecteur PDF, ClamAV, x11vnc) avec mmdebstrap et la signe
#     comme le ferait la DSI (une fois : ensuite elle vient du cache) ;
#   - fabrique quatre « disques donnés » (GPT avec NTFS « Windows », ext4
#     « home » et FAT32 « DATA » remplis de faux documents) ;
#   - configure quatre baies automatiques sur des périphériques loop libres,
#     dont une qui installe le système de classe après l'effacement, et
#     démarre refurbd ;
#   - « branche » les disques un par un (losetup), suit l'effacement et
#     l'installation, montre le système écrit (nom d'hôte, Qwant), puis
#     affiche, exporte et vérifie (openssl cms -verify) les certificats ;
#   - sert le tableau de bord web et l'API réseau (https://127.0.0.1:8443/,
#     TLS avec le certificat du banc) : jetons technicien et superviseur
#     affichés, certificats cherchés et PDF téléchargés par l'API réseau ;
#   - arrête tout en partant (démon, périphériques loop, udevd s'il l'a lancé).
# Relançable à volonté. Tout ce qu'elle produit est dans demo/work/.
#
#   sudo ./demo/run-demo.sh            la démonstration
#   sudo ./demo/run-demo.sh --propre   efface d'abord demo/work/ (état, certificats)
#   sudo ./demo/run-demo.sh --sans-systeme   effacement seul (sans construire l'image)
#   sudo ./demo/run-demo.sh --garder   à la fin, garde le banc et ses pages
#                                      ouverts jusqu'à Ctrl+C
# Le port du tableau de bord : RF_DEMO_PORT (8443 par défaut ; un autre port
# libre s'il est pris).
set -euo pipefail

DEMO=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$DEMO/.." && pwd)
WORK=$DEMO/work
B=${RF_BUILDDIR:-$SRC/build}
REFURBD=$B/daemon/refurbd
REFURBCTL=$B/cli/refurbctl
SOCKET=$WORK/api.sock
CONF=$WORK/refurbd.conf
LOG=$WORK/refurbd.log
LOCKDIR=/run/refurb-tests/loops
N_DISKS=3
SIZE_MB=256
export PATH="$PATH:/usr/sbin:/sbin"

if [[ -t 1 ]]; then GRAS=$'\033[1m' PALE=$'\033[2m' NORMAL=$'\033[0m'; else GRAS='' PALE='' NORMAL=''; fi
titre() { printf '\n%s== %s%s\n' "$GRAS" "$*" "$NORMAL"; }
dire() { printf '   %s\n' "$*"; }
cmd() { printf '   %s$ %s%s\n' "$PALE" "$*" "$NORMAL"; }
echec() { printf '\nÉCHEC : %s\n' "$*" >&2; exit 1; }
ctl() { "$REFURBCTL" --socket "$SOCKET" --lang fr "$@"; }

SYSTEME=1
GARDER=0
for a in "$@"; do
        case $a in
        --propre) PROPRE=1 ;;
        --sans-systeme) SYSTEME=0 ;;
        --garder) GARDER=1 ;;
        -h | --help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage : $0 [--propre] [--sans-systeme] [--garder]" >&2; exit 2 ;;
        esac
done

if [[ $(id -u) != 0 ]]; then
        echo "Cette démonstration doit être lancée en root (périphériques loop, udevd) :" >&2
        echo "    sudo $0" >&2
        exit 1
fi

DAEMON_PID=
UDEVD_PID=
LOOPS=()

nettoyer() {
        local rc=$? n
        set +e
        trap - EXIT INT TERM
        titre "Rangement du banc"
        if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
                dire "arrêt de refurbd (SIGTERM)"
                kill -TERM "$DAEMON_PID"
                for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$DAEMON_PID" 2>/dev/null
                wait "$DAEMON_PID" 2>/dev/null
        fi
        rm -f "$WORK/refurbd.pid"
        mountpoint -q "$WORK/systeme" 2>/dev/null && umount "$WORK/systeme"
        for n in "${LOOPS[@]}"; do
                if [[ $(cat "/sys/block/${n#/dev/}/loop/backing_file" 2>/dev/null) == "$WORK"/* ]]; then
                        dire "débranchement de $n"
                        losetup -d "$n"
                fi
                [[ $(cat "$LOCKDIR/${n#/dev/}" 2>/dev/null) == "$$" ]] && rm -f "$LOCKDIR/${n#/dev/}"
        done
        if [[ -n $UDEVD_PID ]]; then
                dire "arrêt de systemd-udevd (lancé par la démonstration)"
                kill -TERM "$UDEVD_PID" 2>/dev/null
                wait "$UDEVD_PID" 2>/dev/null
        fi
        if (( rc == 0 )); then
                titre "Fin de la démonstration"
                dire "Certificats : $WORK/certificats/   journal du démon : $LOG"
        else
                printf '\nLa démonstration s\047est arrêtée sur une erreur (code %s).\n' "$rc" >&2
                [[ -s $LOG ]] && { echo "Fin du journal de refurbd ($LOG) :" >&2; tail -n 30 "$LOG" >&2; }
        fi
        exit "$rc"
}
trap nettoyer EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
titre "Installation des dépendances (apt-get)"
bash "$SRC/tests/run-all.sh" deps

titre "Compilation de refurb (meson + ninja, dans $B)"
if [[ ! -f $B/build.ninja ]]; then
        cmd "meson setup $B"
        meson setup "$B" >/dev/null
fi
cmd "ninja -C $B"
ninja -C "$B" >/dev/null || { ninja -C "$B"; echec "la compilation a échoué"; }
[[ -x $REFURBD && -x $REFURBCTL ]] || echec "refurbd ou refurbctl introuvable dans $B"
dire "refurbd et refurbctl compilés"

# ---------------------------------------------------------------------------
# Le système de classe, comme la DSI le publie : image brute, bmap, fichier
# zstd et profil signé (Ed25519). profiles/mkimage.sh le construit avec
# mmdebstrap la première fois (15 à 30 minutes et ~1 Go téléchargé sur une
# machine à 2 cœurs), puis le reprend de /var/cache/refurb-images.
DSI=$WORK/dsi
if (( SYSTEME )); then
        titre "Image du système de classe (profiles/mkimage.sh)"
        mkdir -p "$DSI"
        cmd "profiles/mkimage.sh --flavour classroom --out $DSI"
        bash "$SRC/profiles/mkimage.sh" --flavour classroom --out "$DSI" 2>&1 | sed 's/^/   | /' ||
                echec "la construction de l'image a échoué"
        PROFIL_DSI=$(compgen -G "$DSI/classe-debian12*.profile" | sort | tail -1 || true)
        [[ -f $PROFIL_DSI && -f $PROFIL_DSI.sig ]] || echec "pas de profil signé dans $DSI"
        CLE_DSI=$(compgen -G "$DSI/*.key" | head -1 || true)
        [[ -f $CLE_DSI ]] || echec "pas de clé de la DSI dans $DSI"
        dire "profil signé : $(basename "$PROFIL_DSI")"
fi

# ---------------------------------------------------------------------------
titre "Préparation de demo/work/"
# Ce qu'une exécution précédente interrompue aurait laissé.
if [[ -f $WORK/refurbd.pid ]]; then
        old=$(cat "$WORK/refurbd.pid")
        if [[ -n $old ]] && [[ $(readlink -f "/proc/$old/exe" 2>/dev/null) == "$(readlink -f "$REFURBD")" ]]; then
                dire "arrêt d'un refurbd resté d'une exécution précédente (pid $old)"
                kill -TERM "$old" 2>/dev/null || true
                for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
        fi
        rm -f "$WORK/refurbd.pid"
fi
for f in /sys/block/loop*/loop/backing_file; do
        [[ -e $f ]] || continue
        if [[ $(cat "$f") == "$WORK"/* ]]; then
                n=/dev/$(basename "$(dirname "$(dirname "$f")")")
                dire "débranchement de $n, resté d'une exécution précédente"
                losetup -d "$n" || true
        fi
done
if [[ ${PROPRE:-0} == 1 ]]; then
        dire "--propre : suppression de $WORK"
        rm -rf "$WORK"
fi
mkdir -p "$WORK"
rm -rf "$WORK/certificats"
mkdir -p "$WORK/certificats"

titre "Fabrication de $N_DISKS disques donnés ($SIZE_MB Mio chacun)"
declare -a MARKERS
for i in $(seq "$N_DISKS"); do
        MARKERS[i]=$(bash "$SRC/tests/lib/make-donor-disk.sh" "$WORK/donneur-$i.img" "$SIZE_MB")
        dire "donneur-$i.img : GPT, NTFS « Windows », ext4 « home », FAT32 « DATA » ; données secrètes : ${MARKERS[i]}"
done

if (( SYSTEME )); then
        # Le profil sous le nom que la baie utilise, l'image et sa bmap à côté
        # (emplacements relatifs), la clé publique de la DSI parmi les clés de
        # confiance du banc.
        rm -rf "$WORK/profils" "$WORK/cles"
        mkdir -p "$WORK/profils" "$WORK/cles"
        cp "$PROFIL_DSI" "$WORK/profils/classe-debian12.profile"
        cp "$PROFIL_DSI.sig" "$WORK/profils/classe-debian12.profile.sig"
        for f in "$DSI"/*.img.zst "$DSI"/*.img.bmap; do ln -sf "$f" "$WORK/profils/"; done
        openssl pkey -in "$CLE_DSI" -pubout -out "$WORK/cles/dsi.pem" 2>/dev/null || echec "clé publique de la DSI"
        TAILLE_IMAGE=$(sed -n 's:.*<ImageSize> *\([0-9]*\) *</ImageSize>.*:\1:p' "$WORK"/profils/*.img.bmap | head -1)
        TAILLE_CLASSE=$(( TAILLE_IMAGE / 1048576 + 2048 ))
        MARKERS[N_DISKS + 1]=$(bash "$SRC/tests/lib/make-donor-disk.sh" "$WORK/donneur-classe.img" "$TAILLE_CLASSE")
        dire "donneur-classe.img ($TAILLE_CLASSE Mio, pour le système de classe) ; données secrètes : ${MARKERS[N_DISKS + 1]}"
fi

# ---------------------------------------------------------------------------
titre "udev"
if udevadm control --ping -t 2 >/dev/null 2>&1; then
        dire "systemd-udevd tourne déjà"
else
        for u in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do [[ -x $u ]] && break; done
        dire "démarrage de $u"
        "$u" >"$WORK/udevd.log" 2>&1 &
        UDEVD_PID=$!
        for _ in $(seq 100); do udevadm control --ping -t 1 >/dev/null 2>&1 && break; sleep 0.1; done
        udevadm trigger --type=devices --subsystem-match=block --action=add >/dev/null 2>&1 || true
fi
udevadm settle -t 10 || true

# Un nœud loop libre, qui existe, réservé (comme le font les tests) : la
# configuration des baies doit le nommer avant le branchement. Pris à partir
# de loop64, loin de ceux que `losetup -f` distribue (le plus petit libre),
# pour que personne n'y attache autre chose par mégarde : une baie
# automatique effacerait tout ce qu'on y branche.
loop_libre() {
        local s=/sys/block/loop$1
        [[ -d $s ]] || return 0
        [[ $(cat "$s/size") == 0 && ! -e $s/loop/backing_file ]]
}
reserver() {
        local f=$LOCKDIR/loop$1 pid
        (set -C; echo $$ >"$f") 2>/dev/null && return 0
        pid=$(cat "$f" 2>/dev/null || true)
        [[ $pid == "$$" ]] && return 1
        [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && return 1
        rm -f "$f"
        (set -C; echo $$ >"$f") 2>/dev/null
}
nouveau_noeud() {
        local n=${RF_LOOP_BASE:-64} m
        mkdir -p "$LOCKDIR"
        [[ -e $WORK/vide.img ]] || truncate -s 1M "$WORK/vide.img"
        for ((m = n; m < n + 128; m++)); do
                loop_libre "$m" || continue
                reserver "$m" || continue
                if [[ ! -d /sys/block/loop$m ]]; then
                        losetup "/dev/loop$m" "$WORK/vide.img" && losetup -d "/dev/loop$m"
                fi
                for _ in $(seq 50); do [[ -b /dev/loop$m ]] && break; sleep 0.05; done
                if [[ -b /dev/loop$m ]] && loop_libre "$m"; then
                        NOEUD=/dev/loop$m
                        return 0
                fi
                rm -f "$LOCKDIR/loop$m"
        done
        echec "aucun nœud loop libre trouvé"
}

titre "Choix de $N_DISKS nœuds loop libres pour les baies"
for i in $(seq "$N_DISKS"); do
        nouveau_noeud
        LOOPS+=("$NOEUD")
        dire "baie-$i : $NOEUD"
done

if (( SYSTEME )); then
        nouveau_noeud
        LOOPS+=("$NOEUD")
        dire "baie-classe : $NOEUD (efface puis installe le système de classe)"
fi

# Le port du tableau de bord : RF_DEMO_PORT, ou le suivant qui est libre.
port_libre() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${RF_DEMO_PORT:-8443}
for _ in $(seq 50); do port_libre "$PORT" && break; PORT=$(( PORT + 1 )); done
port_libre "$PORT" || echec "aucun port TCP libre à partir de ${RF_DEMO_PORT:-8443}"
URL=https://127.0.0.1:$PORT

titre "Configuration du banc ($CONF)"
{
        cat <<EOF
# Banc de démonstration — écrit par demo/run-demo.sh
[Daemon]
StateDirectory=$WORK/state
APISocket=$SOCKET
BenchName=banc-demo
Organisation=Atelier Ordi 3.0 (démo)
Location=Démonstration
Technician=Démo

[Erase]
Verify=full

[API]
Listen=127.0.0.1:$PORT
TLS=yes
WebDirectory=$SRC/web
EOF
        for i in $(seq "$N_DISKS"); do
                printf '\n[Bay baie-%d]\nMatchDevice=%s\nPolicy=auto\n' "$i" "${LOOPS[i - 1]}"
        done
        if (( SYSTEME )); then
                cat <<EOF

[Image]
ProfileDirectory=$WORK/profils
TrustedKeysDirectory=$WORK/cles
CacheDirectory=$WORK/cache
HooksDirectory=$SRC/hooks/post-image.d

[Bay baie-classe]
MatchDevice=${LOOPS[N_DISKS]}
Policy=auto
Profile=classe-debian12
EOF
        fi
} >"$CONF"
sed 's/^/   | /' "$CONF"

titre "Démarrage de refurbd"
cmd "refurbd --config $CONF"
printf '\n----- %s -----\n' "$(date)" >>"$LOG"
"$REFURBD" --config "$CONF" >>"$LOG" 2>&1 &
DAEMON_PID=$!
echo "$DAEMON_PID" >"$WORK/refurbd.pid"
for _ in $(seq 200); do
        kill -0 "$DAEMON_PID" 2>/dev/null || echec "refurbd s'est arrêté au démarrage (journal : $LOG)"
        ctl status >/dev/null 2>&1 && break
        sleep 0.05
done
ctl status >/dev/null 2>&1 || echec "refurbd ne répond pas sur $SOCKET"
cmd "refurbctl --socket $SOCKET status"
ctl status | sed 's/^/   /'

titre "Tableau de bord web et API réseau ($URL)"
TLS_CRT=$WORK/state/tls/bench-tls.pem
jeton() { # RÔLE NOM
        "$REFURBCTL" --socket "$SOCKET" --json token create --role "$1" --name "$2" | jq -r .secret
}
cmd "refurbctl token create --role technician --name \"écran de l'atelier\""
JETON_TECH=$(jeton technician "écran de l'atelier (démo)")
cmd "refurbctl token create --role supervisor --name \"bureau des superviseurs\""
JETON_SUP=$(jeton supervisor "bureau des superviseurs (démo)")
[[ $JETON_TECH == rfb1_* && $JETON_SUP == rfb1_* ]] || echec "pas de jeton d'accès"
( umask 077 && printf '%s\n' "$JETON_SUP" >"$WORK/superviseur.jeton" )
dire "certificat TLS du banc : $TLS_CRT"
dire "empreinte SHA-256 : $(openssl x509 -in "$TLS_CRT" -noout -fingerprint -sha256 | cut -d= -f2)"
dire "${GRAS}Ouvrez $URL/banc$NORMAL (le navigateur signale un certificat auto-signé :"
dire "comparez l'empreinte ci-dessus), puis connectez-vous avec le jeton :"
dire "  technicien  : $JETON_TECH"
dire "  superviseur : $JETON_SUP   (page $URL/certificats)"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS_CRT" "$URL/v1/bays")
[[ $code == 401 ]] || echec "GET $URL/v1/bays sans jeton : $code au lieu de 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS_CRT" -H "Authorization: Bearer $JETON_TECH" "$URL/v1/bays")
[[ $code == 200 ]] || echec "GET $URL/v1/bays avec le jeton technicien : $code"
dire "l'API réseau répond (sans jeton : 401 ; jeton technicien : 200)"

titre "Les disques vus par le banc"
cmd "refurbctl devices"
ctl devices | sed 's/^/   /'
cmd "refurbctl bays"
ctl bays | sed 's/^/   /'

# ---------------------------------------------------------------------------
titre "Branchement des disques donnés"
for i in $(seq "$N_DISKS"); do
        n=${LOOPS[i - 1]}
        dire "branchement du disque donneur-$i sur baie-$i ($n)…"
        cmd "losetup $n $WORK/donneur-$i.img"
        losetup "$n" "$WORK/donneur-$i.img"
        sleep 1
done
if (( SYSTEME )); then
        n=${LOOPS[N_DISKS]}
        dire "branchement du disque donneur-classe sur baie-classe ($n)…"
        cmd "losetup -P $n $WORK/donneur-classe.img"
        losetup -P "$n" "$WORK/donneur-classe.img"
fi

titre "Effacement en cours (baies automatiques : rien à faire)"
etat_baies() {
        "$REFURBCTL" --socket "$SOCKET" --json bays | jq -r '
          (.bays? // .) | map(
            .name + " : " + .state +
            (if .state == "imaging" then " (" + (.job.progress.phase // "") + ")" else "" end) +
            (if .job.progress then " " + ((.job.progress.percent // 0) | floor | tostring) + " %"
             else "" end)) | join("   ")'
}
fini=0
for _ in $(seq 3600); do
        ligne=$(etat_baies)
        printf '\r   %-100s' "$ligne"
        if ! "$REFURBCTL" --socket "$SOCKET" --json bays |
                jq -e '(.bays? // .) | all(.state | test("^(done|failed|cancelled|interrupted)$"))' >/dev/null; then
                kill -0 "$DAEMON_PID" 2>/dev/null || echec "refurbd s'est arrêté pendant l'effacement"
                sleep 0.5
                continue
        fi
        fini=1
        break
done
echo
(( fini )) || echec "les travaux ne sont pas terminés après 30 minutes"
cmd "refurbctl bays"
ctl bays | sed 's/^/   /'
cmd "refurbctl jobs"
ctl jobs | sed 's/^/   /'

titre "Les données des donneurs ont-elles disparu ?"
for i in $(seq "$(( N_DISKS + SYSTEME ))"); do
        n=${LOOPS[i - 1]}
        blockdev --flushbufs "$n" 2>/dev/null || true
        c=$({ LC_ALL=C grep -a -o -F -- "${MARKERS[i]}" "$n" || true; } | wc -l)
        if (( c == 0 )); then
                dire "baie-$i : « ${MARKERS[i]} » introuvable sur $n — effacé"
        else
                echec "baie-$i : « ${MARKERS[i]} » encore présent $c fois sur $n"
        fi
done

# ---------------------------------------------------------------------------
if (( SYSTEME )); then
        titre "Le système de classe écrit sur baie-classe"
        n=${LOOPS[N_DISKS]}
        JOB_CLASSE=$("$REFURBCTL" --socket "$SOCKET" --json jobs |
                jq -c --arg d "$n" '(.jobs? // .) | map(select(.devnode == $d)) | max_by(.id)')
        [[ $(jq -r .state <<<"$JOB_CLASSE") == "done" ]] ||
                echec "baie-classe : $(jq -r '.state + " : " + (.reason // "")' <<<"$JOB_CLASSE")"
        cmd "refurbctl job $(jq -r .id <<<"$JOB_CLASSE")"
        ctl job "$(jq -r .id <<<"$JOB_CLASSE")" | sed 's/^/   /'
        REC=$("$REFURBCTL" --socket "$SOCKET" --json job "$(jq -r .id <<<"$JOB_CLASSE")" | jq -c '(.job? // .).image.record')
        dire "profil $(jq -r '.profile.name + " " + .profile.version' <<<"$REC"), signé par la clé $(jq -r .profile.signature.key_id <<<"$REC")"
        dire "écrit : $(jq -r '.write.bytes_written / 1048576 | floor' <<<"$REC") Mio en $(jq -r '.write.seconds * 10 | floor / 10' <<<"$REC") s ; relu : $(jq -r '.write.verification.bytes_read_back / 1048576 | floor' <<<"$REC") Mio"
        dire "partition $(jq -r .fit.partition_node <<<"$REC") agrandie de $(jq -r '.fit.partition_size_before / 1048576 | floor' <<<"$REC") à $(jq -r '.fit.partition_size_after / 1048576 | floor' <<<"$REC") Mio"
        jq -r '.content.packages[] | "   logiciel : " + .requirement + " → " + (.satisfied_by // "ABSENT") + " " + (.version // "")' <<<"$REC"
        jq -r '.content.browsers[] | "   navigateur : " + .name + " → moteur par défaut " + (.default_search_engine // "?")' <<<"$REC"
        # Ce noyau-ci n'a pas forcément les lecteurs de tables de partitions :
        # partx déclare les partitions à la main si elles manquent.
        partx -a "$n" 2>/dev/null || true
        udevadm settle -t 10 || true
        mkdir -p "$WORK/systeme"
        cmd "mount -o ro ${n}p2 $WORK/systeme"
        mount -o ro "${n}p2" "$WORK/systeme" || echec "montage de ${n}p2 impossible"
        dire "/etc/hostname : $(cat "$WORK/systeme/etc/hostname")"
        dire "politique Firefox : moteur par défaut $(jq -r .policies.SearchEngines.Default "$WORK/systeme/etc/firefox/policies/policies.json")"
        dire "politique Chromium : $(jq -r .DefaultSearchProviderSearchURL "$WORK"/systeme/etc/chromium/policies/managed/*.json | head -1)"
        umount "$WORK/systeme"
fi

# ---------------------------------------------------------------------------
titre "Certificats"
cmd "refurbctl cert list"
ctl cert list | sed 's/^/   /'
mapfile -t IDS < <("$REFURBCTL" --socket "$SOCKET" --json jobs |
        jq -r --argjson names "$(printf '%s\n' "${LOOPS[@]}" | jq -R . | jq -s .)" '
          (.jobs? // .) | map(select(.devnode as $d | $names | index($d))) |
          group_by(.devnode) | map(max_by(.id).certificate_id // empty) | .[]')
(( ${#IDS[@]} == N_DISKS + SYSTEME )) || echec "${#IDS[@]} certificat(s) pour $(( N_DISKS + SYSTEME )) disques"
if (( SYSTEME )); then
        # Le certificat de reconditionnement du poste : effacement et système.
        RID=$("$REFURBCTL" --socket "$SOCKET" --json cert list |
                jq -r '(.certificates? // .) | map(select(.kind == "refurbishment")) | max_by(.seq) | .id // empty')
        [[ -n $RID ]] || echec "pas de certificat de reconditionnement"
        IDS+=("$RID")
fi
for id in "${IDS[@]}"; do
        titre "Certificat $id"
        cmd "refurbctl cert show $id"
        ctl cert show "$id" | sed 's/^/   /'
done

titre "Export et vérification avec openssl seul"
for id in "${IDS[@]}"; do
        cmd "refurbctl cert export $id --output $WORK/certificats"
        ctl cert export "$id" --output "$WORK/certificats" | sed 's/^/   /'
        (
                cd "$WORK/certificats"
                cmd "openssl cms -verify -binary -content $id.json -in $id.json.p7s -inform PEM -CAfile bench.crt -out /dev/null"
                if openssl cms -verify -binary -content "$id.json" -in "$id.json.p7s" -inform PEM \
                        -CAfile bench.crt -out /dev/null 2>"$WORK/openssl.err"; then
                        dire "signature valide : $id.json"
                else
                        cat "$WORK/openssl.err" >&2
                        echec "la signature de $id.json ne se vérifie pas"
                fi
        )
done
dire "Fichiers : $(cd "$WORK/certificats" && echo *)"

titre "Les certificats par l'API réseau, comme le superviseur les voit"
distant() { "$REFURBCTL" --url "$URL" --token-file "$WORK/superviseur.jeton" --ca-file "$TLS_CRT" --lang fr "$@"; }
cmd "refurbctl --url $URL --token-file superviseur.jeton --ca-file bench-tls.pem cert list"
distant cert list | sed 's/^/   /'
for id in "${IDS[@]}"; do
        pdf=$WORK/certificats/certificat-${id:0:8}.pdf
        cmd "curl --cacert bench-tls.pem -H 'Authorization: Bearer …' $URL/v1/certificates/${id:0:8}…/pdf -o $pdf"
        curl -s -f --cacert "$TLS_CRT" -H "Authorization: Bearer $JETON_SUP" -o "$pdf" \
                "$URL/v1/certificates/$id/pdf?lang=fr" || echec "PDF du certificat $id introuvable"
        [[ $(head -c 5 "$pdf") == "%PDF-" ]] || echec "$pdf n'est pas un PDF"
        dire "$(basename "$pdf") : $(stat -c %s "$pdf") octets"
done

if (( GARDER )); then
        titre "Le banc reste ouvert : $URL/banc (Ctrl+C pour tout arrêter)"
        dire "jeton technicien : $JETON_TECH"
        dire "jeton superviseur : $JETON_SUP"
        trap 'exit 0' INT
        while kill -0 "$DAEMON_PID" 2>/dev/null; do sleep 1; done
fi
