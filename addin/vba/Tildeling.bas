Attribute VB_Name = "Tildeling"
' Ribbon callbacks of the Tildeling add-in.
'
' Source: addin/vba/Tildeling.bas in the tildeling repository. The add-in is
' built by `tildeling addin build`; do not edit this module in Excel.
'
' RunMacro is the one generic callback: it runs the Python macro named by the
' button's tag in tildeling.xl.macros. Adding a button therefore means adding
' a <button> to addin/customUI14.xml only.
Option Explicit

Private Const TITLE As String = "Tildeling"

Public Sub RunMacro(control As IRibbonControl)
    If control.Tag = "" Then
        MsgBox "Knappen '" & control.ID & "' mangler et makronavn (tag) i båndet. " & _
               "Kontakt den, der har installeret Tildeling.", vbCritical, TITLE
        Exit Sub
    End If
    ' xlwings needs a calling workbook; with only add-ins open there is none.
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import tildeling.xl.macros as m; m." & control.Tag & "()"
End Sub

Public Sub ImportUdfs(control As IRibbonControl)
#If Mac Then
    MsgBox "Tildelings regnearksfunktioner virker kun i Excel på Windows.", vbInformation, TITLE
#Else
    If Not VbaProjectAccessTrusted() Then
        MsgBox "Excel skal have tillid til adgang til VBA-projektobjektmodellen, før funktionerne kan importeres." & _
               vbNewLine & vbNewLine & _
               "Vælg Filer > Indstillinger > Center for sikkerhed og rettighedsadministration > " & _
               "Indstillinger for Center for sikkerhed og rettighedsadministration > Makroindstillinger, " & _
               "og sæt hak ved 'Hav tillid til adgang til VBA-projektobjektmodellen'. Prøv derefter igen.", _
               vbExclamation, TITLE
        Exit Sub
    End If
    ' Drop the old wrappers first, so that their presence afterwards means success.
    On Error Resume Next
    ThisWorkbook.VBProject.VBComponents.Remove ThisWorkbook.VBProject.VBComponents("xlwings_udfs")
    On Error GoTo 0
    ImportPythonUDFsToAddin
    If Not HasUdfModule() Then Exit Sub ' xlwings has already shown the error
    On Error GoTo NotSaved
    ThisWorkbook.Save
    On Error GoTo 0
    MsgBox "Tildelings funktioner er importeret og kan nu bruges i formler i alle projektmapper.", _
           vbInformation, TITLE
    Exit Sub
NotSaved:
    MsgBox "Funktionerne er importeret, men tilføjelsesprogrammet kunne ikke gemmes (" & Err.Description & "). " & _
           "Funktionerne virker, indtil Excel lukkes; importér dem igen næste gang.", vbExclamation, TITLE
#End If
End Sub

Private Function VbaProjectAccessTrusted() As Boolean
    Dim n As Long
    On Error Resume Next
    n = ThisWorkbook.VBProject.VBComponents.Count
    VbaProjectAccessTrusted = (Err.Number = 0)
    On Error GoTo 0
End Function

Private Function HasUdfModule() As Boolean
    Dim component As Object
    On Error Resume Next
    Set component = ThisWorkbook.VBProject.VBComponents("xlwings_udfs")
    HasUdfModule = Not component Is Nothing
    On Error GoTo 0
End Function
