; The imrdesk installer for Windows: one per-user setup.exe, built on Linux with NSIS (makensis).
;
;   makensis -DVERSION=0.1.0 -DSRCDIR=dist/windows/imrdesk -DFILELIST=build/installer/files.nsh \
;            -DOUTFILE=dist/imrdesk-0.1.0-setup.exe installer/imrdesk.nsi
;
; scripts/build_windows.sh writes FILELIST (the exact files and folders of SRCDIR, so that the uninstaller
; removes what was installed and nothing else) and runs this; the release workflow does the same on Windows.
;
; - No administrator rights: installs for the current user only, under %LOCALAPPDATA%\Programs\imrdesk,
;   registers itself under HKCU (Apps & features, "Open with" for .pdf, App Paths).
; - Start-menu entry "imrdesk"; the finish page can start it.
; - "Open with > imrdesk" on PDF files, without taking over the default PDF program. Explorer starts
;   imrdesk.exe once per file; the first window takes the others' files (imrdesk/ui/single_instance.py).
; - The uninstaller keeps the user's letters database and settings (%LOCALAPPDATA%\imrdesk,
;   HKCU\Software\imrdesk) unless its "Also delete my letters database" box is ticked, or /REMOVEDATA is given.
; - Silent: setup.exe /S [/D=C:\path\to\folder] installs; uninstall.exe /S [/REMOVEDATA] removes.

Unicode true
; a 64-bit setup for a 64-bit app where makensis has the amd64 stubs (Debian's does; Wine then needs no 32-bit
; half); the official Windows NSIS has only x86 ones, which run on 64-bit Windows just as well
!if /FileExists "${NSISDIR}/Stubs/lzma_solid-amd64-unicode"
  Target amd64-unicode
!endif
ManifestDPIAware true
SetCompressor /SOLID lzma
SetCompressorDictSize 64

!ifndef VERSION
  !error "makensis -DVERSION=x.y.z (the version of imrdesk/__init__.py)"
!endif
!ifndef SRCDIR
  !error "makensis -DSRCDIR=dist/windows/imrdesk (the PyInstaller folder)"
!endif
!ifndef FILELIST
  !error "makensis -DFILELIST=files.nsh (the uninstaller's list of SRCDIR's files)"
!endif
!ifndef OUTFILE
  !define OUTFILE "imrdesk-${VERSION}-setup.exe"
!endif
!ifndef VERSION4
  !define VERSION4 "${VERSION}.0"   ; VIProductVersion wants four numbers
!endif

!define APP "imrdesk"
!define EXE "imrdesk.exe"
!define PUBLISHER "imrdesk contributors"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define APPPATH_KEY "Software\Microsoft\Windows\CurrentVersion\App Paths\${EXE}"
!define PROGID "imrdesk.pdf"
!define CLASSES "Software\Classes"
!define SHCNE_ASSOCCHANGED 0x08000000

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP} ${VERSION} setup (IMR letters to a reviewed dataset)"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "OriginalFilename" "${APP}-${VERSION}-setup.exe"

!include "MUI2.nsh"
!include "FileFunc.nsh"

!define MUI_ICON "${SRCDIR}\_internal\resources\icons\imrdesk.ico"
!define MUI_UNICON "${SRCDIR}\_internal\resources\icons\imrdesk.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP}"
!define MUI_COMPONENTSPAGE_NODESC

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; A running imrdesk holds its files open: replacing or removing them would half-fail. Ask to close it
; (silent: give up with exit status 2, nothing touched).
!macro NOT_RUNNING_FUNCTION un
Function ${un}NotRunning
  StrCpy $1 "${EXE}"
  Call ${un}NotRunningFile
  StrCpy $1 "imrdesk-cli.exe"
  Call ${un}NotRunningFile
FunctionEnd
Function ${un}NotRunningFile
  IfFileExists "$INSTDIR\$1" 0 done
  retry:
    ClearErrors
    FileOpen $0 "$INSTDIR\$1" a
    IfErrors 0 free
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${APP} is running ($1). Close it, then press Retry." \
        /SD IDCANCEL IDRETRY retry
    Abort "${APP} is running: nothing was changed."   ; exit status 2
  free:
    FileClose $0
  done:
FunctionEnd
!macroend
!insertmacro NOT_RUNNING_FUNCTION ""
!insertmacro NOT_RUNNING_FUNCTION "un."

; ---------------------------------------------------------------------------------------------- install

Section "imrdesk" SecApp
  SectionIn RO
  SetShellVarContext current
  Call NotRunning
  ; an earlier version's libraries go first, so none of them lingers beside the new ones (only where
  ; imrdesk.exe shows the folder is imrdesk's)
  IfFileExists "$INSTDIR\${EXE}" 0 +2
    RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${SRCDIR}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0 \
      SW_SHOWNORMAL "" "Review IMR letters and build their dataset"

  ; Apps & features
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0

  ; Win+R "imrdesk"
  WriteRegStr HKCU "${APPPATH_KEY}" "" "$INSTDIR\${EXE}"
  WriteRegStr HKCU "${APPPATH_KEY}" "Path" "$INSTDIR"

  ; "Open with" for PDF letters: a ProgID offered in .pdf's list, and the application's own entry; the
  ; default PDF program stays what it was
  WriteRegStr HKCU "${CLASSES}\${PROGID}" "" "PDF letter (${APP})"
  WriteRegStr HKCU "${CLASSES}\${PROGID}\DefaultIcon" "" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${CLASSES}\${PROGID}\shell\open" "FriendlyAppName" "${APP}"
  WriteRegStr HKCU "${CLASSES}\${PROGID}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  WriteRegStr HKCU "${CLASSES}\.pdf\OpenWithProgids" "${PROGID}" ""
  WriteRegStr HKCU "${CLASSES}\Applications\${EXE}" "FriendlyAppName" "${APP}"
  WriteRegStr HKCU "${CLASSES}\Applications\${EXE}\SupportedTypes" ".pdf" ""
  WriteRegStr HKCU "${CLASSES}\Applications\${EXE}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  System::Call 'shell32::SHChangeNotify(i ${SHCNE_ASSOCCHANGED}, i 0, p 0, p 0)'
SectionEnd

; -------------------------------------------------------------------------------------------- uninstall

Section "un.imrdesk (the program)" UnSecApp
  SectionIn RO
  SetShellVarContext current
  Call un.NotRunning
  Delete "$SMPROGRAMS\${APP}.lnk"
  !include "${FILELIST}"   ; Delete/RMDir for each installed file and folder, deepest first
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"   ; only when empty: files the user put there stay

  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "${APPPATH_KEY}"
  DeleteRegKey HKCU "${CLASSES}\${PROGID}"
  DeleteRegValue HKCU "${CLASSES}\.pdf\OpenWithProgids" "${PROGID}"
  DeleteRegKey /ifempty HKCU "${CLASSES}\.pdf\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "${CLASSES}\.pdf"
  DeleteRegKey HKCU "${CLASSES}\Applications\${EXE}"
  System::Call 'shell32::SHChangeNotify(i ${SHCNE_ASSOCCHANGED}, i 0, p 0, p 0)'
SectionEnd

Section /o "un.Also delete my letters database and settings" UnSecData
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\${APP}"   ; the database (imrdesk.db) and what the app keeps beside it
  DeleteRegKey HKCU "Software\${APP}"   ; the window's settings (QSettings)
SectionEnd

Function un.onInit
  ; silent or not, the database stays unless asked for: the box above, or /REMOVEDATA on the command line
  ${un.GetParameters} $0
  ClearErrors
  ${un.GetOptions} $0 "/REMOVEDATA" $1
  IfErrors +2 0
    SectionSetFlags ${UnSecData} ${SF_SELECTED}
FunctionEnd
