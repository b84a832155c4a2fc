/** Text matched literally inside a RegExp (file paths, titles, ssh messages). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
