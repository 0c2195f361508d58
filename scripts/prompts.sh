#!/usr/bin/env bash
# Makes the demo's prompt set from text: espeak-ng speaks it (Mandarin, then English), sox
# turns it into 8 kHz mono 16-bit WAV, the format telephony plays. Writes into the directory
# given (data/prompts by default); files already there are kept.
set -euo pipefail
out="${1:-data/prompts}"
mkdir -p "$out"

say() { # name, Chinese text, English text
    local name="$1" zh="$2" en="$3" file="$out/$1.wav"
    [ -s "$file" ] && return
    local tmp
    tmp="$(mktemp -d)"
    espeak-ng -v cmn -s 150 -w "$tmp/zh.wav" "$zh"
    espeak-ng -v en -s 150 -w "$tmp/en.wav" "$en"
    sox "$tmp/zh.wav" "$tmp/en.wav" -r 8000 -c 1 -b 16 -e signed-integer "$file" norm -3
    rm -rf "$tmp"
}

say welcome "您好，欢迎致电自来水热线。" "Welcome to the water utility hotline."
say menu "报修请按一，投诉请按二，咨询请按三，预约回电请按四。" "For repairs press 1, complaints 2, questions 3. To be called back, press 4."
say invalid "输入有误，请重新选择。" "Sorry, that is not an option."
say busy "现在座席全忙，请稍后再拨。再见。" "All our agents are busy. Please call again later. Goodbye."
say voicemail "请在提示音后留言，挂机即可结束。" "Please leave a message after the tone, then hang up."
say callback "我们会尽快给您回电。再见。" "We will call you back soon. Goodbye."
say unavailable "您拨打的分机暂时无法接通。" "The extension you dialled is not available."
say goodbye "感谢您的来电，再见。" "Thank you for calling. Goodbye."
# Queue announcements (排队位置播报): callers ahead, then the expected wait in minutes.
zh=(零 一 两 三 四 五 六 七 八 九 十)
en=(zero one two three four five six seven eight nine ten)
say position-0 "您是下一位，请稍候。" "You are next in line."
say position-1 "您前面还有一位来电在等候。" "There is one caller ahead of you."
for n in 2 3 4 5 6 7 8 9 10; do
    say "position-$n" "您前面还有${zh[$n]}位来电在等候。" "There are ${en[$n]} callers ahead of you."
done
say position-more "您前面还有十位以上来电在等候。" "There are more than ten callers ahead of you."
say wait-1 "预计等待约一分钟。" "The expected wait is about one minute."
for n in 2 3 4 5 6 7 8 9 10; do
    say "wait-$n" "预计等待约${zh[$n]}分钟。" "The expected wait is about ${en[$n]} minutes."
done
say wait-more "预计等待超过十分钟。" "The expected wait is more than ten minutes."
# Music on hold: a soft pentatonic phrase, looped by the player.
if [ ! -s "$out/moh.wav" ]; then
    tmp="$(mktemp -d)"
    notes=()
    i=0
    for n in G4 A4 C5 D5 E5 D5 C5 A4; do
        sox -n -r 8000 -c 1 -b 16 -e signed-integer "$tmp/$i.wav" synth 0.45 pluck "$n" vol 0.3
        notes+=("$tmp/$i.wav")
        i=$((i + 1))
    done
    sox "${notes[@]}" "$out/moh.wav"
    rm -rf "$tmp"
fi
echo "prompts in $out: $(ls "$out" | wc -l) files"
