# Profil d'image « classe » publié par la DSI (docs/refurb-profile.5).
# Exemple livré, non signé : profiles/mkimage.sh le recopie en remplissant
# Version=, MinimumDiskSize=, Expires=, Location=, SHA256=, Bmap= et
# BmapSHA256= d'après l'image construite, puis signe la copie (Ed25519).

[Profile]
Name=classe-debian12
Version=2026.11.1
Description=Poste de classe Debian 12 : bureau Xfce en français (ouverture de session automatique du compte « eleve »), Firefox ESR avec Qwant, LibreOffice (Writer, Calc, Impress), lecteur PDF Evince, antivirus ClamAV, assistance à distance x11vnc, mises à jour de sécurité automatiques.
Target=any
MinimumDiskSize=8G
Expires=2027-11-30

[Image]
Location=classe-debian12-2026.11.1.img.zst
SHA256=0000000000000000000000000000000000000000000000000000000000000000
Bmap=classe-debian12-2026.11.1.img.bmap
BmapSHA256=0000000000000000000000000000000000000000000000000000000000000000
RootPartition=2

[Software]
Require=libreoffice-writer
Require=libreoffice-calc
Require=libreoffice-impress
Require=libreoffice-l10n-fr
Require=evince | atril | okular
Require=firefox-esr
Require=firefox-esr-l10n-fr
Require=clamav
Require=clamav-freshclam
Require=x11vnc | remmina

[Browser]
DefaultSearchEngine=Qwant
SearchURL=https://www.qwant.com/?q={searchTerms}

[Hooks]
TimeoutSec=120
