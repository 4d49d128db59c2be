package mapids

import "strings"

// contactSFID validates a member's contact_name__c: trimmed, 15 or 18 ASCII
// letters and digits (the prior art's shape rule; a wrong checksum passes).
// 15-character ids are normalised to 18 so lookups and the reverse mapping
// use one spelling.
func contactSFID(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if (len(s) != 15 && len(s) != 18) || !alphanumeric(s) {
		return "", false
	}
	return normalizeSFID(s), true
}

// normalizeSFID turns a 15-character case-sensitive Salesforce id into its
// 18-character form by adding the case checksum; other values are returned
// unchanged.
func normalizeSFID(s string) string {
	if len(s) != 15 || !alphanumeric(s) {
		return s
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 3)
	for chunk := range 3 {
		bits := 0
		for i := range 5 {
			if c := s[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix[chunk] = alphabet[bits]
	}
	return s + string(suffix)
}

func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
