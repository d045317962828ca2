package handlers

// OutputText exposes outputText to the black-box tests.
var OutputText = outputText
