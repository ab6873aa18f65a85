from tflog.kernel.segments import StreamAssembler


def test_newline_and_carriage_return_end_segments():
    assembler = StreamAssembler()
    assert assembler.feed("a\nb\rc", 1.0) == [("a\n", 1.0, False), ("b\r", 1.0, False)]
    assert assembler.has_pending
    assert assembler.feed("d\n", 2.0) == [("cd\n", 1.0, False)]
    assert not assembler.has_pending


def test_print_writes_text_then_newline_as_one_segment():
    assembler = StreamAssembler()
    assert assembler.feed("step 100 loss=0.41", 5.0) == []
    assert assembler.feed("\n", 5.1) == [("step 100 loss=0.41\n", 5.0, False)]


def test_crlf_in_one_write_is_one_terminator():
    assembler = StreamAssembler()
    assert assembler.feed("x\r\ny\n", 1.0) == [("x\r\n", 1.0, False), ("y\n", 1.0, False)]


def test_keras2_backspaces_close_the_previous_bar_state():
    assembler = StreamAssembler()
    first = " 1/8 [==>....] - ETA: 0s - loss: 0.7459"
    assert assembler.feed("\r" + first, 1.0) == [("\r", 1.0, False)]
    update = "\b" * len(first) + "\r" + " 8/8 [======] - 0s - loss: 0.7342"
    assert assembler.feed(update, 2.0) == [(first + "\b" * len(first) + "\r", 1.0, False)]
    assert assembler.flush() == (" 8/8 [======] - 0s - loss: 0.7342", 2.0)


def test_ansi_codes_and_unicode_stay_raw():
    assembler = StreamAssembler()
    text = "\x1b[1m8/8\x1b[0m \x1b[32m━━━━\x1b[0m - loss: 0.5\n"
    assert assembler.feed(text, 3.0) == [(text, 3.0, False)]


def test_partial_flush_only_after_idle_pause():
    assembler = StreamAssembler()
    assembler.feed("Epoch 1/3 bar", 10.0)
    assert assembler.flush_idle(now=10.1, idle_seconds=0.25) is None
    assert assembler.flush_idle(now=10.3, idle_seconds=0.25) == ("Epoch 1/3 bar", 10.0)
    assert assembler.flush_idle(now=20.0, idle_seconds=0.25) is None


def test_idle_is_measured_from_the_last_write():
    assembler = StreamAssembler()
    assembler.feed("a", 10.0)
    assembler.feed("b", 10.2)
    assert assembler.flush_idle(now=10.3, idle_seconds=0.25) is None
    assert assembler.flush_idle(now=10.5, idle_seconds=0.25) == ("ab", 10.0)


def test_empty_write_changes_nothing():
    assembler = StreamAssembler()
    assert assembler.feed("", 1.0) == []
    assert assembler.flush() is None
